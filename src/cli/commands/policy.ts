import { type Command, Option } from 'commander';
import { readBundle } from '../../collect/bundle/read.ts';
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

/** Where the policy commands get their snapshot; live collection plugs in here later. */
export type SnapshotProvider = (opts: { bundle?: string }) => Promise<Snapshot>;

/** Today: a bundle, or a usage error that says how to get one. */
export const bundleSnapshotProvider: SnapshotProvider = async ({ bundle }) => {
  if (bundle) return readBundle(bundle);
  throw new NetdoctorError(
    'usage',
    'live mode is not available for `netdoctor policy` yet: pass --bundle PATH',
    {
      suggestions: ['run `netdoctor diagnose` to write a bundle, then `netdoctor policy ... --bundle <dir>`'],
    },
  );
};

type TextOrJson = 'text' | 'json';

function outputOption(): Option {
  return new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text');
}

function write(format: TextOrJson, data: unknown, text: () => string): void {
  process.stdout.write(format === 'json' ? `${JSON.stringify(data, null, 2)}\n` : text());
}

/** `netdoctor policy explain|matrix|lint`: which NetworkPolicies allow or deny a flow, and why. */
export function registerPolicy(program: Command, provider: SnapshotProvider = bundleSnapshotProvider): void {
  const policy = program
    .command('policy')
    .description('explain NetworkPolicy decisions, show reachability, lint policies');

  policy
    .command('explain')
    .description('which NetworkPolicies allow or deny a flow, per direction, and why')
    .requiredOption('--from <NS/POD|IP>', 'source pod (namespace/name) or address')
    .requiredOption('--to <NS/POD|IP|svc/NS/NAME>', 'destination pod, address, or Service')
    .requiredOption('--port <PORT[/PROTO]>', 'destination port and protocol, e.g. 53/udp (TCP by default)')
    .option('--bundle <path>', 'bundle directory or .tar.gz written by `netdoctor diagnose`')
    .addOption(outputOption())
    .action(async (o: { from: string; to: string; port: string; bundle?: string; output: TextOrJson }) => {
      const flow = { from: parseSource(o.from), to: parseDestination(o.to), ...parsePortSpec(o.port) };
      const snapshot = await provider(o.bundle === undefined ? {} : { bundle: o.bundle });
      const e = explainFlow(buildPolicyIndex(snapshot), flow);
      if (e.kind === 'unresolved') {
        throw new NetdoctorError('usage', e.reason, {
          suggestions: [
            'check the names with `kubectl get pods,svc -A`, or that the bundle is from the right cluster',
          ],
        });
      }
      write(o.output, e, () => renderExplanation(e));
      process.exitCode = e.verdict === 'allowed' ? EXIT.healthy : EXIT.problems;
    });

  policy
    .command('matrix')
    .description('reachability between workloads under the current NetworkPolicies')
    .option('-n, --namespace <ns>', 'only workloads of this namespace')
    .option(
      '--port <PORT[/PROTO]>',
      "one port for every cell (default: each destination's first declared port)",
    )
    .option('--bundle <path>', 'bundle directory or .tar.gz written by `netdoctor diagnose`')
    .addOption(outputOption())
    .action(async (o: { namespace?: string; port?: string; bundle?: string; output: TextOrJson }) => {
      const port = o.port === undefined ? undefined : parsePortSpec(o.port);
      const snapshot = await provider(o.bundle === undefined ? {} : { bundle: o.bundle });
      const m = reachabilityMatrix(buildPolicyIndex(snapshot), {
        ...(o.namespace === undefined ? {} : { namespace: o.namespace }),
        ...(port === undefined ? {} : port),
      });
      write(o.output, m, () => renderMatrix(m));
    });

  policy
    .command('lint')
    .description('policies that select nothing, blocked DNS egress, unreachable namespaces, label typos')
    .option('--bundle <path>', 'bundle directory or .tar.gz written by `netdoctor diagnose`')
    .addOption(outputOption())
    .action(async (o: { bundle?: string; output: TextOrJson }) => {
      const snapshot = await provider(o.bundle === undefined ? {} : { bundle: o.bundle });
      const lints = lintPolicies(buildPolicyIndex(snapshot));
      write(o.output, lints, () => renderLints(lints));
      process.exitCode = lints.some((l) => l.severity !== 'info') ? EXIT.problems : EXIT.healthy;
    });
}
