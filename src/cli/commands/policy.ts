import { type Command, Option } from 'commander';
import { KubePort, loadKubeConfig } from '../../cluster/kube-port.ts';
import type { BundleLimits } from '../../collect/bundle/limits.ts';
import { readBundle } from '../../collect/bundle/read.ts';
import { collectPolicySnapshot } from '../../collect/cluster/policy-snapshot.ts';
import { EXIT, NetdoctorError } from '../../core/errors.ts';
import type { Snapshot } from '../../core/model.ts';
import { explainFlow } from '../../policy/explain-flow.ts';
import { lintPolicies } from '../../policy/lint/index.ts';
import { parseDestination, parsePortSpec, parseSource } from '../../policy/parse-flow-args.ts';
import { buildPolicyIndex } from '../../policy/policy-index.ts';
import { reachabilityMatrix } from '../../policy/reachability-matrix.ts';
import { renderExplanation } from '../../policy/render-explanation.ts';
import { renderLints } from '../../policy/render-lints.ts';
import { renderMatrix } from '../../policy/render-matrix.ts';
import { type BundleLimitFlags, limitsFrom, withBundleLimitOptions } from '../bundle-limit-options.ts';

/** Where a policy command reads the cluster: a saved bundle, or the live cluster it names. */
export interface SnapshotSource {
  bundle?: string;
  /** Limits for reading `bundle` (the bundle limit flags). */
  limits?: Partial<BundleLimits>;
  kubeconfig?: string;
  context?: string;
}

/** Where the policy commands get their snapshot; tests substitute their own. */
export type SnapshotProvider = (source: SnapshotSource) => Promise<Snapshot>;

/**
 * A bundle when `--bundle` is given; otherwise the live cluster, read-only, through the same
 * collector as `diagnose` (only the kinds policy evaluation needs). What could not be read is
 * said on stderr, since it limits what can be explained.
 */
export const defaultSnapshotProvider: SnapshotProvider = async ({ bundle, kubeconfig, context, limits }) => {
  if (bundle) return readBundle(bundle, limits === undefined ? {} : { limits });
  const port = new KubePort(
    loadKubeConfig({ ...(kubeconfig ? { kubeconfig } : {}), ...(context ? { context } : {}) }),
  );
  const snapshot = await collectPolicySnapshot(port);
  for (const g of snapshot.gaps) {
    process.stderr.write(
      `note: could not read ${g.collector} (${g.reason}); flows that need it stay unresolved\n`,
    );
  }
  return snapshot;
};

type TextOrJson = 'text' | 'json';

function outputOption(): Option {
  return new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text');
}

/** `--bundle`, or `--kubeconfig`/`--context` for the live cluster (PRODUCT.md common flags). */
function withSourceOptions(cmd: Command): Command {
  return withBundleLimitOptions(cmd)
    .option(
      '--bundle <path>',
      'bundle directory or .tar.gz written by `netdoctor diagnose` (default: the live cluster)',
    )
    .option('--kubeconfig <path>', 'kubeconfig file (default: $KUBECONFIG, ~/.kube/config, in-cluster)')
    .option('--context <name>', 'kubeconfig context');
}

function sourceOf(o: SnapshotSource & BundleLimitFlags): SnapshotSource {
  return {
    ...(o.bundle === undefined ? {} : { bundle: o.bundle }),
    ...(o.bundle === undefined || Object.keys(limitsFrom(o)).length === 0 ? {} : { limits: limitsFrom(o) }),
    ...(o.kubeconfig === undefined ? {} : { kubeconfig: o.kubeconfig }),
    ...(o.context === undefined ? {} : { context: o.context }),
  };
}

function write(format: TextOrJson, data: unknown, text: () => string): void {
  process.stdout.write(format === 'json' ? `${JSON.stringify(data, null, 2)}\n` : text());
}

/** `netdoctor policy explain|matrix|lint`: which NetworkPolicies allow or deny a flow, and why. */
export function registerPolicy(program: Command, provider: SnapshotProvider = defaultSnapshotProvider): void {
  const policy = program
    .command('policy')
    .description('explain NetworkPolicy decisions, show reachability, lint policies');

  withSourceOptions(
    policy
      .command('explain')
      .description('which NetworkPolicies allow or deny a flow, per direction, and why')
      .requiredOption('--from <NS/POD|IP>', 'source pod (namespace/name) or address')
      .requiredOption('--to <NS/POD|IP|svc/NS/NAME>', 'destination pod, address, or Service')
      .requiredOption('--port <PORT[/PROTO]>', 'destination port and protocol, e.g. 53/udp (TCP by default)'),
  )
    .addOption(outputOption())
    .action(async (o: { from: string; to: string; port: string; output: TextOrJson } & SnapshotSource) => {
      const flow = { from: parseSource(o.from), to: parseDestination(o.to), ...parsePortSpec(o.port) };
      const snapshot = await provider(sourceOf(o));
      const e = explainFlow(buildPolicyIndex(snapshot), flow);
      if (e.kind === 'unresolved') {
        throw new NetdoctorError('usage', e.reason, {
          suggestions: [
            o.bundle === undefined
              ? 'check the names with `kubectl get pods,svc -A` (and --context, if the cluster is not the current one)'
              : 'check the names with `kubectl get pods,svc -A`, or that the bundle is from the right cluster',
          ],
        });
      }
      write(o.output, e, () => renderExplanation(e));
      process.exitCode = e.verdict === 'allowed' ? EXIT.healthy : EXIT.problems;
    });

  withSourceOptions(
    policy
      .command('matrix')
      .description('reachability between workloads under the current NetworkPolicies')
      .option('-n, --namespace <ns>', 'only workloads of this namespace')
      .option(
        '--port <PORT[/PROTO]>',
        "one port for every cell (default: each destination's first declared port)",
      ),
  )
    .addOption(outputOption())
    .action(async (o: { namespace?: string; port?: string; output: TextOrJson } & SnapshotSource) => {
      const port = o.port === undefined ? undefined : parsePortSpec(o.port);
      const snapshot = await provider(sourceOf(o));
      const m = reachabilityMatrix(buildPolicyIndex(snapshot), {
        ...(o.namespace === undefined ? {} : { namespace: o.namespace }),
        ...(port === undefined ? {} : port),
      });
      write(o.output, m, () => renderMatrix(m));
    });

  withSourceOptions(
    policy
      .command('lint')
      .description('policies that select nothing, blocked DNS egress, unreachable namespaces, label typos'),
  )
    .addOption(outputOption())
    .action(async (o: { output: TextOrJson } & SnapshotSource) => {
      const snapshot = await provider(sourceOf(o));
      const lints = lintPolicies(buildPolicyIndex(snapshot));
      write(o.output, lints, () => renderLints(lints));
      process.exitCode = lints.some((l) => l.severity !== 'info') ? EXIT.problems : EXIT.healthy;
    });
}
