/**
 * Node collection through agent pods (the default way in): one agent per node, all in parallel,
 * each run by the node pod runner (cluster/node-pod.ts), which waits for it to finish, reads its
 * log and deletes it whatever happens; the log is split into the node's files. A node that
 * cannot be collected is a gap (`forbidden`, `timeout`, `unreachable`, ...), never a crash.
 */
import { classifyApiError } from '../../cluster/api-error.ts';
import { CountingPort } from '../../cluster/counting-port.ts';
import { type NodePodEnv, type NodePodRun, runNodePod } from '../../cluster/node-pod.ts';
import { PodEvents } from '../../cluster/pod-events.ts';
import { imagePullError, type StartFailure } from '../../cluster/pod-start-failure.ts';
import type { ClusterPort } from '../../cluster/port.ts';
import type { GapReason } from '../../core/model.ts';
import { TimeoutError } from '../../core/timeout.ts';
import { AGENT_CONTAINER, type AgentPodSpec, agentPodName, agentPodSpec } from './agent-pod.ts';
import {
  combineOutcomes,
  type NodeCollection,
  type NodeOutcome,
  nodeGap,
  nodeOutcomeFromStream,
} from './node-collection.ts';

export interface AgentCollectOptions {
  runId: string;
  namespace: string;
  image: string;
  imagePullPolicy?: AgentPodSpec['imagePullPolicy'];
  /** Overall budget per node, from create to log read. */
  timeoutMs: number;
  /** Per API call. */
  callTimeoutMs?: number;
  /** First poll interval; doubles up to `maxPollMs`. */
  pollMs?: number;
  maxPollMs?: number;
  /** Called when a node's agent finishes (for progress). */
  onNode?: (outcome: NodeOutcome) => void;
}

const COLLECTOR = 'node/agent';
/** How long a node's events are reused before they are listed again (one list serves every node). */
const EVENTS_TTL_MS = 3_000;
/** Log lines to read: the whole stream of a node with large iptables dumps. */
const LOG_TAIL = 2_000_000;

/**
 * Collects every node in `nodes` through an agent pod each. An agent image that a node cannot
 * pull stops the whole run at once (every other node would fail the same way, only later):
 * the agents are removed and a NetdoctorError names the image, the node and the remedy.
 */
export async function collectNodesWithAgents(
  port: ClusterPort,
  nodes: readonly string[],
  opts: AgentCollectOptions,
): Promise<NodeCollection> {
  // Counts this collection's own calls (create, reads, events, logs, deletes) for the benchmark.
  const counted = new CountingPort(port);
  const callMs = opts.callTimeoutMs ?? 15_000;
  const env: NodePodEnv = {
    port: counted,
    namespace: opts.namespace,
    callMs,
    events: new PodEvents(counted, opts.namespace, { ttlMs: EVENTS_TTL_MS, callMs }),
  };
  const stop = new AbortController();
  let pullFailure: { node: string; failure: StartFailure } | undefined;
  const outcomes = await Promise.all(
    nodes.map(async (node) => {
      const run = await runNodePod(
        env,
        agentPodSpec({
          node,
          runId: opts.runId,
          image: opts.image,
          activeDeadlineSeconds: Math.max(30, Math.ceil(opts.timeoutMs / 1000) + 30),
          ...(opts.imagePullPolicy ? { imagePullPolicy: opts.imagePullPolicy } : {}),
        }),
        {
          timeoutMs: opts.timeoutMs,
          signal: stop.signal,
          pollMs: opts.pollMs ?? 250,
          maxPollMs: opts.maxPollMs ?? 2_000,
          log: { container: AGENT_CONTAINER, tailLines: LOG_TAIL },
        },
      );
      if (run.status === 'cannot-start' && run.failure.kind === 'image') {
        pullFailure ??= { node, failure: run.failure };
        stop.abort();
      }
      const outcome = outcomeOf(node, run, opts, pullFailure?.node);
      opts.onNode?.(outcome);
      return outcome;
    }),
  );
  if (pullFailure) throw imagePullError(opts.image, pullFailure.node, pullFailure.failure);
  return combineOutcomes(outcomes, counted.total);
}

/** A node's outcome from how its agent's run ended. */
function outcomeOf(
  node: string,
  run: NodePodRun,
  opts: AgentCollectOptions,
  pullNode: string | undefined,
): NodeOutcome {
  const ref = `${opts.namespace}/${agentPodName(node, opts.runId)}`;
  const gap = (reason: GapReason, detail: string): NodeOutcome => ({
    node,
    status: 'failed',
    gap: nodeGap(node, COLLECTOR, reason, detail),
  });
  switch (run.status) {
    case 'not-created':
      return failed(node, run.error, `creating agent pod ${ref}`);
    case 'error':
      return failed(node, run.error, `watching agent pod ${ref}`);
    case 'gone':
      return gap('not-found', `agent pod ${ref} disappeared before it finished`);
    case 'cannot-start': {
      const f = run.failure;
      return gap(
        'error',
        `agent pod ${ref} cannot start: ${f.reason}${f.message ? `: ${f.message}` : ''} (image ${opts.image}; pick another with --agent-image)`,
      );
    }
    case 'aborted':
      return gap(
        'not-collected',
        `stopped: node ${pullNode ?? '?'} cannot pull the agent image ${opts.image}`,
      );
    case 'timeout': {
      const phase = run.pod?.status?.phase;
      const waiting = run.pod?.status?.containerStatuses?.[0]?.state?.waiting?.reason;
      return gap(
        'timeout',
        `agent pod ${ref} did not finish within ${Math.round(opts.timeoutMs / 1000)} s (phase ${phase ?? 'unknown'}${waiting ? `, ${waiting}` : ''})`,
      );
    }
    case 'ended': {
      if (!run.log.ok) return failed(node, run.log.error, `reading the log of agent pod ${ref}`);
      const outcome = nodeOutcomeFromStream(node, 'agent', run.log.text);
      if (run.ended.state !== 'failed') return outcome;
      const { reason, exitCode } = run.ended;
      const why = `agent pod ended Failed${reason ? ` (${reason})` : ''}${exitCode === undefined ? '' : `, exit ${exitCode}`}`;
      if (outcome.status === 'collected') outcome.gaps.push(nodeGap(node, COLLECTOR, 'error', why));
      // Nothing came back: say why the pod ended (Evicted, DeadlineExceeded), not only that it was silent.
      else outcome.gap = { ...outcome.gap, detail: `${outcome.gap.detail ?? ''}; ${why}` };
      return outcome;
    }
  }
}

function failed(node: string, err: unknown, what: string): NodeOutcome {
  let reason: GapReason;
  let detail: string;
  if (err instanceof TimeoutError) {
    reason = 'timeout';
    detail = err.message;
  } else {
    ({ reason, detail } = classifyApiError(err));
  }
  const hint =
    reason === 'forbidden'
      ? ' (needs pods create/get/delete and pods/log; or use --node-access ssh|local)'
      : '';
  return { node, status: 'failed', gap: nodeGap(node, COLLECTOR, reason, `${what}: ${detail}${hint}`) };
}
