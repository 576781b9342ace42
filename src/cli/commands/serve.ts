import { stat } from 'node:fs/promises';
import type { KubeConfig } from '@kubernetes/client-node';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { AGENT_TOKEN_AUDIENCE } from '../../agent/agent-token.ts';
import { KubePort, loadKubeConfig } from '../../cluster/kube-port.ts';
import { WatchedPort } from '../../cluster/watched-port.ts';
import { DEFAULT_AGENT_IMAGE, DEFAULT_AGENT_NAMESPACE } from '../../collect/node/agent-pod.ts';
import { NODE_ACCESS_KINDS, type NodeAccessKind } from '../../collect/node/collect-nodes.ts';
import { registerCleanup } from '../../core/cleanup.ts';
import { NetdoctorError } from '../../core/errors.ts';
import { type ServiceAccountRef, TokenReviewAuthenticator, tokenReviewOf } from '../../serve/agent-auth.ts';
import { BundleSource } from '../../serve/bundle-source.ts';
import { ClusterSource } from '../../serve/cluster-source.ts';
import type { ReportSource } from '../../serve/report-source.ts';
import { startServe } from '../../serve/serve.ts';
import { type BundleLimitFlags, limitsFrom, withBundleLimitOptions } from '../bundle-limit-options.ts';
import { count, duration } from '../option-parsers.ts';
import { agentImageOf, agentImageOptions } from '../options.ts';
import { nodeAccessFrom } from './diagnose.ts';

interface ServeFlags extends BundleLimitFlags {
  bundle?: string;
  kubeconfig?: string;
  context?: string;
  host: string;
  port: number;
  interval?: number;
  roundTimeout: number;
  historyDb: string;
  historyMax: number;
  probes: boolean;
  nodeAccess?: NodeAccessKind;
  inventory?: string;
  agentImage: string;
  toolboxImage?: string;
  probeImage?: string;
  agentNamespace: string;
  agentServiceAccount: ServiceAccountRef[];
  agentStaleAfter: number;
  agentPort: number;
  agentTokenAudience: string;
  externalTarget?: string;
  externalName?: string;
}

/** A bundle is cheap to re-read; a live diagnosis starts pods on every node, so it runs less often. */
const DEFAULT_INTERVAL_MS = { bundle: 30_000, cluster: 120_000 } as const;

/** Flags that only mean something for a live cluster; given with --bundle they are a mistake. */
const CLUSTER_ONLY: [keyof ServeFlags, string][] = [
  ['kubeconfig', '--kubeconfig'],
  ['context', '--context'],
  ['nodeAccess', '--node-access'],
  ['inventory', '--inventory'],
  ['externalTarget', '--external-target'],
  ['externalName', '--external-name'],
];

/** `namespace/name`: a ServiceAccount whose tokens may deliver agent summaries. */
function parseServiceAccount(v: string, acc: ServiceAccountRef[]): ServiceAccountRef[] {
  const m = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([a-z0-9]([-.a-z0-9]*[a-z0-9])?)$/.exec(v.trim());
  if (!m) throw new InvalidArgumentError('expected NAMESPACE/NAME, such as netdoctor/netdoctor-agent.');
  return [...acc, { namespace: m[1]!, name: m[3]! }];
}

function kubeConfigOf(flags: ServeFlags): KubeConfig {
  return loadKubeConfig({
    ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}),
    ...(flags.context ? { context: flags.context } : {}),
  });
}

async function sourceFrom(flags: ServeFlags): Promise<ReportSource> {
  if (flags.bundle !== undefined) {
    if (flags.agentServiceAccount.length > 0)
      throw new NetdoctorError(
        'usage',
        '--agent-service-account needs a cluster to review tokens, not --bundle',
        {
          suggestions: ['drop --bundle to take agent summaries from a cluster'],
        },
      );
    for (const [key, flag] of CLUSTER_ONLY)
      if (flags[key] !== undefined)
        throw new NetdoctorError('usage', `${flag} applies to a live cluster, not to --bundle`, {
          suggestions: [`drop ${flag}, or drop --bundle to diagnose the cluster`],
        });
    const st = await stat(flags.bundle).catch(() => undefined);
    if (!st)
      throw new NetdoctorError('bundle-not-found', `no bundle at ${flags.bundle}`, {
        path: flags.bundle,
        suggestions: ['pass a directory or .tar.gz written by `netdoctor diagnose`'],
      });
    return new BundleSource(flags.bundle, limitsFrom(flags));
  }
  const access = nodeAccessFrom({ ...flags, nodeAccess: flags.nodeAccess ?? 'agent' });
  const kc = kubeConfigOf(flags);
  const port = new KubePort(kc);
  // Every round reads the cluster's objects from informers, kept current by watches.
  const watched = new WatchedPort(port, kc, (m) => process.stderr.write(`netdoctor serve: ${m}\n`));
  return new ClusterSource(watched, {
    nodeAccess: access,
    probes: flags.probes,
    probeNamespace: flags.agentNamespace,
    probeImage: agentImageOf(flags),
    check: true,
    ...(flags.externalTarget ? { externalTarget: flags.externalTarget } : {}),
    ...(flags.externalName ? { externalName: flags.externalName } : {}),
    ...(port.target.context ? { context: port.target.context } : {}),
  });
}

/**
 * `netdoctor serve`: the controller. Diagnoses a cluster (or re-reads a bundle) every interval
 * and serves the report, the incident history, Prometheus metrics and a live dashboard.
 */
export function registerServe(program: Command): void {
  const [imageOption, toolboxAlias, probeAlias] = agentImageOptions(DEFAULT_AGENT_IMAGE);
  const cmd = program
    .command('serve')
    .description('keep diagnosing and serve the report, incident history, /metrics and a live dashboard')
    .option(
      '--bundle <path>',
      'analyze this bundle (directory or .tar.gz) every interval instead of a cluster',
    )
    .option('--kubeconfig <path>', 'kubeconfig file (default: $KUBECONFIG, ~/.kube/config, in-cluster)')
    .option('--context <name>', 'kubeconfig context')
    .option(
      '--host <address>',
      'address to listen on (0.0.0.0 inside a pod behind a ClusterIP Service)',
      '127.0.0.1',
    )
    .addOption(
      new Option('--port <n>', 'port to listen on (0: any free port)')
        .default(8080)
        .argParser(count({ min: 0, max: 65_535 })),
    )
    .addOption(
      new Option(
        '--interval <duration>',
        `time between analyses (default ${DEFAULT_INTERVAL_MS.bundle / 1000}s with --bundle, ${DEFAULT_INTERVAL_MS.cluster / 1000}s on a cluster)`,
      ).argParser(duration({ min: 1000, max: 86_400_000 })),
    )
    .addOption(
      new Option('--round-timeout <duration>', 'an analysis taking longer is reported as failed')
        .default(600_000, '10m')
        .argParser(duration({ min: 1000, max: 86_400_000 })),
    )
    .option(
      '--history-db <path>',
      'incident history file (node:sqlite); :memory: keeps none',
      '.netdoctor/history.sqlite',
    )
    .addOption(
      new Option('--history-max <n>', 'incidents kept at most; the longest resolved are pruned first')
        .default(10_000)
        .argParser(count({ min: 10, max: 10_000_000 })),
    )
    .option('--no-probes', 'do not create probe pods')
    .addOption(
      new Option('--node-access <way>', 'how to read each node’s datapath (default: agent)').choices(
        NODE_ACCESS_KINDS,
      ),
    )
    .option('--inventory <file>', 'Ansible INI inventory for --node-access ssh')
    .option('--external-target <url>', 'external URL the egress probe fetches (none: skipped)')
    .option(
      '--external-name <name>',
      'external name the DNS probes resolve through cluster DNS (none: skipped)',
    )
    .addOption(imageOption)
    .addOption(toolboxAlias)
    .addOption(probeAlias)
    .option('--agent-namespace <ns>', 'namespace for agent and probe pods', DEFAULT_AGENT_NAMESPACE)
    .option(
      '--agent-service-account <ns/name>',
      'take summaries from netdoctor agents running as this ServiceAccount, checked by TokenReview (repeatable); a node whose agent falls silent turns unknown',
      parseServiceAccount,
      [] as ServiceAccountRef[],
    )
    .option(
      '--agent-token-audience <aud>',
      "the audience the agents' projected tokens are issued for",
      AGENT_TOKEN_AUDIENCE,
    )
    .addOption(
      new Option('--agent-port <n>', 'port agents send their summaries to (with --agent-service-account)')
        .default(8081)
        .argParser(count({ min: 0, max: 65_535 })),
    )
    .addOption(
      new Option('--agent-stale-after <duration>', 'an agent silent this long makes its node unknown')
        .default(90_000, '90s')
        .argParser(duration({ min: 1000, max: 86_400_000 })),
    );
  withBundleLimitOptions(cmd).action(async (flags: ServeFlags) => {
    const source = await sourceFrom(flags);
    const log = (m: string) => process.stderr.write(`netdoctor serve: ${m}\n`);
    const serve = await startServe({
      source,
      host: flags.host,
      port: flags.port,
      intervalMs: flags.interval ?? DEFAULT_INTERVAL_MS[flags.bundle !== undefined ? 'bundle' : 'cluster'],
      roundTimeoutMs: flags.roundTimeout,
      historyPath: flags.historyDb,
      historyMaxRows: flags.historyMax,
      log,
      ...(flags.agentServiceAccount.length > 0
        ? {
            agents: {
              port: flags.agentPort,
              authenticator: new TokenReviewAuthenticator(
                tokenReviewOf(kubeConfigOf(flags), flags.agentTokenAudience),
                flags.agentServiceAccount,
              ),
              staleAfterMs: flags.agentStaleAfter,
            },
          }
        : {}),
    }).catch((err: unknown) => {
      throw listenError(err, flags);
    });
    // Ctrl-C and SIGTERM run the process's cleanups (cli/run.ts): the server stops accepting,
    // event streams end, a round in flight finishes, and the history is closed before exit.
    registerCleanup('serve', () => serve.close());
    log(`serving ${source.description} on ${serve.url} (dashboard /, /api/report, /api/history, /metrics)`);
    await new Promise<never>(() => {});
  });
}

function listenError(err: unknown, flags: ServeFlags): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND')
    return new NetdoctorError('usage', `cannot listen on ${flags.host}:${flags.port} (${code})`, {
      cause: err,
      suggestions: ['pick another --port, or --port 0 for any free one'],
    });
  return err;
}
