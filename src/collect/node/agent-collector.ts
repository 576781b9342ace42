/**
 * Node collection through agent pods (the default way in): one agent per node, all in parallel;
 * wait for each to finish, read its log, split it into the node's files. A node that cannot be
 * collected is a gap (`forbidden`, `timeout`, `unreachable`, ...), never a crash, and every agent
 * is deleted whatever happens: in `finally`, and through the process cleanup registry when the
 * run is interrupted.
 */
import { classifyApiError } from '../../cluster/api-error.ts';
import {
  type EventView,
  imagePullError,
  type PodStatusView,
  type StartFailure,
  StartFailureWatch,
  startFailureOfEvents,
  startFailureOfPod,
} from '../../cluster/pod-start-failure.ts';
import type { ClusterPort } from '../../cluster/port.ts';
import { registerCleanup } from '../../core/cleanup.ts';
import type { GapReason } from '../../core/model.ts';
import { TimeoutError, withTimeout } from '../../core/timeout.ts';
import { AGENT_CONTAINER, type AgentPodSpec, agentPod, agentPodName } from './agent-pod.ts';
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

interface PodView extends PodStatusView {
  status?: {
    phase?: string;
    reason?: string;
    message?: string;
    containerStatuses?: {
      state?: {
        waiting?: { reason?: string; message?: string };
        terminated?: { exitCode?: number; reason?: string };
      };
    }[];
  };
}

/** State shared by the agents of one run: the first image pull failure stops them all. */
interface RunState {
  calls: number;
  pullFailure: { node: string; failure: StartFailure } | undefined;
  events: { at: number; list: Promise<EventView[]> } | undefined;
}

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
  const run: RunState = { calls: 0, pullFailure: undefined, events: undefined };
  const outcomes = await Promise.all(
    nodes.map(async (node) => {
      const outcome = await collectOne(port, node, opts, run);
      opts.onNode?.(outcome);
      return outcome;
    }),
  );
  if (run.pullFailure) throw imagePullError(opts.image, run.pullFailure.node, run.pullFailure.failure);
  return combineOutcomes(outcomes, run.calls);
}

/** The namespace's events, listed at most once per {@link EVENTS_TTL_MS} for all agents. */
function recentEvents(port: ClusterPort, ns: string, run: RunState, callMs: number): Promise<EventView[]> {
  const now = Date.now();
  if (run.events && now - run.events.at < EVENTS_TTL_MS) return run.events.list;
  run.calls += 1;
  const list = withTimeout(port.list('events', { namespaces: [ns] }), callMs, `list events in ${ns}`).then(
    (items) => items as EventView[],
    () => [] as EventView[],
  );
  run.events = { at: now, list };
  return list;
}

async function collectOne(
  port: ClusterPort,
  node: string,
  opts: AgentCollectOptions,
  counter: RunState,
): Promise<NodeOutcome> {
  const callMs = opts.callTimeoutMs ?? 15_000;
  const name = agentPodName(node, opts.runId);
  const ns = opts.namespace;
  const call = <T>(p: Promise<T>, what: string): Promise<T> => {
    counter.calls += 1;
    return withTimeout(p, callMs, what);
  };
  const started = Date.now();
  const deadline = started + opts.timeoutMs;
  const watch = new StartFailureWatch();

  const pod = agentPod({
    node,
    runId: opts.runId,
    namespace: ns,
    image: opts.image,
    activeDeadlineSeconds: Math.max(30, Math.ceil(opts.timeoutMs / 1000) + 30),
    ...(opts.imagePullPolicy ? { imagePullPolicy: opts.imagePullPolicy } : {}),
  });
  // Registered before the create is sent: an interrupt mid-create still waits for it, then deletes.
  const created = call(port.createPod(ns, pod), `create pod ${ns}/${name}`);
  const remove = async (): Promise<void> => {
    await created.catch(() => {});
    counter.calls += 1;
    await port.deletePod(ns, name);
  };
  const unregister = registerCleanup(`pod ${ns}/${name}`, remove);

  try {
    try {
      await created;
    } catch (err) {
      return failed(node, err, `creating agent pod ${ns}/${name}`);
    }

    let wait = opts.pollMs ?? 250;
    let view: PodView | undefined;
    for (;;) {
      view = (await call(port.readPod(ns, name), `read pod ${ns}/${name}`).catch((err: unknown) => {
        if (err instanceof TimeoutError) return { status: {} } as PodView;
        throw err;
      })) as PodView | undefined;
      if (view === undefined) {
        return {
          node,
          status: 'failed',
          gap: nodeGap(
            node,
            COLLECTOR,
            'not-found',
            `agent pod ${ns}/${name} disappeared before it finished`,
          ),
        };
      }
      const phase = view.status?.phase;
      if (phase === 'Succeeded' || phase === 'Failed') break;
      const waiting = view.status?.containerStatuses?.[0]?.state?.waiting;
      const failure = watch.confirm(
        name,
        startFailureOfPod(view) ??
          (Date.now() - started > 2_000 && phase === 'Pending'
            ? startFailureOfEvents(name, await recentEvents(port, ns, counter, callMs))
            : undefined),
      );
      if (failure) {
        if (failure.kind === 'image') counter.pullFailure ??= { node, failure };
        return {
          node,
          status: 'failed',
          gap: nodeGap(
            node,
            COLLECTOR,
            'error',
            `agent pod ${ns}/${name} cannot start: ${failure.reason}${failure.message ? `: ${failure.message}` : ''} (image ${opts.image}; pick another with --agent-image)`,
          ),
        };
      }
      if (counter.pullFailure) {
        return {
          node,
          status: 'failed',
          gap: nodeGap(
            node,
            COLLECTOR,
            'not-collected',
            `stopped: node ${counter.pullFailure.node} cannot pull the agent image ${opts.image}`,
          ),
        };
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        return {
          node,
          status: 'failed',
          gap: nodeGap(
            node,
            COLLECTOR,
            'timeout',
            `agent pod ${ns}/${name} did not finish within ${Math.round(opts.timeoutMs / 1000)} s (phase ${phase ?? 'unknown'}${waiting?.reason ? `, ${waiting.reason}` : ''})`,
          ),
        };
      }
      await sleep(Math.min(wait, left));
      wait = Math.min(wait * 2, opts.maxPollMs ?? 2_000);
    }

    let log: string;
    try {
      log = await call(
        port.podLog({
          namespace: ns,
          pod: name,
          container: AGENT_CONTAINER,
          previous: false,
          tailLines: LOG_TAIL,
        }),
        `logs of ${ns}/${name}`,
      );
    } catch (err) {
      return failed(node, err, `reading the log of agent pod ${ns}/${name}`);
    }
    const outcome = nodeOutcomeFromStream(node, 'agent', log);
    if (view.status?.phase === 'Failed' && outcome.status === 'collected') {
      const term = view.status.containerStatuses?.[0]?.state?.terminated;
      outcome.gaps.push(
        nodeGap(
          node,
          COLLECTOR,
          'error',
          `agent pod ended Failed${view.status.reason ? ` (${view.status.reason})` : ''}${term?.exitCode === undefined ? '' : `, exit ${term.exitCode}`}`,
        ),
      );
    }
    return outcome;
  } catch (err) {
    return failed(node, err, `watching agent pod ${ns}/${name}`);
  } finally {
    unregister();
    await remove().catch(() => {
      // Left for `netdoctor cleanup`; activeDeadlineSeconds has already stopped it.
    });
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

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
