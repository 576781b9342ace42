import { type Command, InvalidArgumentError, Option } from 'commander';
import { classifyApiError } from '../../cluster/api-error.ts';
import { KubePort, loadKubeConfig } from '../../cluster/kube-port.ts';
import type { ClusterPort } from '../../cluster/port.ts';
import { DEFAULT_AGENT_IMAGE, DEFAULT_AGENT_NAMESPACE } from '../../collect/node/agent-pod.ts';
import type { K8sNode } from '../../core/cluster-types.ts';
import { EXIT, NetdoctorError } from '../../core/errors.ts';
import { newRunId } from '../../diagnose/pipeline.ts';
import {
  DEFAULT_PAIR_LIMIT,
  DEFAULT_TEST_SECONDS,
  estimateSeconds,
  MAX_TEST_SECONDS,
  MIN_TEST_SECONDS,
  type PairSelection,
  planNodes,
  planPerf,
} from '../../perf/plan.ts';
import { PERF_FORMATS, type PerfFormat, renderPerf } from '../../perf/render.ts';
import { runPerf } from '../../perf/run-perf.ts';
import { count, duration, parseDuration } from '../option-parsers.ts';
import { agentImageOf, agentImageOptions } from '../options.ts';

interface PerfFlags {
  from?: string;
  to?: string;
  allPairs?: boolean;
  limit?: number;
  /** Seconds per test. */
  duration: number;
  /** Milliseconds for the whole run. */
  timeout: number;
  kubeconfig?: string;
  context?: string;
  agentImage: string;
  toolboxImage?: string;
  probeImage?: string;
  agentNamespace: string;
  output: PerfFormat;
}

/** Most pairs one run may measure, whatever --limit says: each pair costs four client pods. */
export const MAX_PAIR_LIMIT = 50;

/** --duration: iperf3 -t takes whole seconds. */
function testSeconds(value: string): number {
  const ms = parseDuration(value, { min: MIN_TEST_SECONDS * 1000, max: MAX_TEST_SECONDS * 1000 });
  if (ms % 1000 !== 0) throw new InvalidArgumentError('must be whole seconds (iperf3 -t), such as 5 or 10s.');
  return ms / 1000;
}

/** Which pairs the flags ask for; a contradiction or a missing half is a usage error (exit 2). */
export function selectionFrom(flags: Pick<PerfFlags, 'from' | 'to' | 'allPairs' | 'limit'>): PairSelection {
  const usage = (m: string) =>
    new NetdoctorError('usage', m, {
      suggestions: [
        'netdoctor perf --from NODE --to NODE',
        `netdoctor perf --all-pairs --limit ${DEFAULT_PAIR_LIMIT}`,
      ],
    });
  if (flags.allPairs) {
    if (flags.from !== undefined || flags.to !== undefined)
      throw usage('--all-pairs measures pairs it chooses; give it without --from and --to');
    return { kind: 'all-pairs', limit: flags.limit ?? DEFAULT_PAIR_LIMIT };
  }
  if (flags.limit !== undefined)
    throw usage('--limit bounds --all-pairs; with --from and --to there is one pair');
  if (flags.from === undefined || flags.to === undefined) {
    const missing =
      flags.from === undefined && flags.to === undefined
        ? '--from and --to'
        : flags.from === undefined
          ? '--from'
          : '--to';
    throw usage(`perf needs ${missing} (the two nodes to measure between), or --all-pairs`);
  }
  if (flags.from === flags.to)
    throw usage(`--from and --to are the same node (${flags.from}); perf measures between two nodes`);
  return { kind: 'pair', from: flags.from, to: flags.to };
}

function isNode(v: unknown): v is K8sNode {
  return typeof v === 'object' && v !== null && 'metadata' in v && 'status' in v;
}

async function listNodes(port: ClusterPort): Promise<K8sNode[]> {
  try {
    return (await port.list('nodes')).filter(isNode);
  } catch (err) {
    const { reason, detail } = classifyApiError(err);
    throw new NetdoctorError(
      reason === 'forbidden' ? 'forbidden' : 'cluster-unreachable',
      `cannot list the nodes at ${port.target.server} (${reason}): ${detail}`,
      { cause: err, suggestions: ['pass --kubeconfig PATH / --context NAME to pick the cluster'] },
    );
  }
}

/** `netdoctor perf`: iperf3 between nodes, pod network against underlay; opt-in and bounded. */
export function registerPerf(program: Command): void {
  const [imageOption, toolboxAlias, probeAlias] = agentImageOptions(DEFAULT_AGENT_IMAGE);
  program
    .command('perf')
    .description(
      "bandwidth between nodes with iperf3: pod network against the underlay, the overlay's cost, TCP retransmits, UDP loss and jitter, both directions",
    )
    .option('--from <node>', 'the node the client runs on')
    .option('--to <node>', 'the node the iperf3 server runs on')
    .option('--all-pairs', 'measure pairs of Ready nodes, neighbours first, up to --limit')
    .addOption(
      new Option('--limit <n>', `most pairs --all-pairs measures (default: ${DEFAULT_PAIR_LIMIT})`).argParser(
        count({ min: 1, max: MAX_PAIR_LIMIT }),
      ),
    )
    .addOption(
      new Option(
        '--duration <duration>',
        `seconds each iperf3 test runs, ${MIN_TEST_SECONDS} to ${MAX_TEST_SECONDS}: 5, 10s, 1m`,
      )
        .argParser(testSeconds)
        .default(DEFAULT_TEST_SECONDS, `${DEFAULT_TEST_SECONDS}s`),
    )
    .addOption(
      new Option(
        '--timeout <duration>',
        'deadline of the whole run; tests that would end after it are skipped',
      )
        .argParser(duration({ min: 30_000, max: 3 * 3_600_000 }))
        .default(15 * 60_000, '15m'),
    )
    .option('--kubeconfig <path>', 'kubeconfig file (default: $KUBECONFIG, ~/.kube/config, in-cluster)')
    .option('--context <name>', 'kubeconfig context')
    .addOption(imageOption)
    .addOption(toolboxAlias)
    .addOption(probeAlias)
    .option('--agent-namespace <ns>', 'namespace for the iperf3 pods', DEFAULT_AGENT_NAMESPACE)
    .addOption(new Option('-o, --output <format>', 'output format').choices(PERF_FORMATS).default('text'))
    .action(async (flags: PerfFlags) => {
      const selection = selectionFrom(flags);
      const port = new KubePort(
        loadKubeConfig({
          ...(flags.kubeconfig ? { kubeconfig: flags.kubeconfig } : {}),
          ...(flags.context ? { context: flags.context } : {}),
        }),
      );
      const nodes = planNodes(await listNodes(port));
      const planned = planPerf(nodes, selection, flags.duration);
      if (!planned.ok) throw new NetdoctorError('usage', planned.error);
      const { plan } = planned;
      const say = (m: string) => process.stderr.write(`netdoctor perf: ${m}\n`);
      const estimate = estimateSeconds(plan);
      say(
        `${plan.pairs.length} pair(s), ${plan.steps.length * 2} tests of ${plan.testSeconds} s, about ${Math.ceil(estimate / 60)} min`,
      );
      if (estimate * 1000 > flags.timeout)
        say(
          `the estimate exceeds --timeout ${Math.round(flags.timeout / 1000)} s: the last tests may be skipped`,
        );
      const report = await runPerf(port, plan, nodes, {
        image: agentImageOf(flags),
        namespace: flags.agentNamespace,
        runId: newRunId(),
        timeoutMs: flags.timeout,
        onProgress: say,
      });
      process.stdout.write(renderPerf(report, flags.output));
      process.exitCode = report.complete ? EXIT.healthy : EXIT.problems;
    });
}
