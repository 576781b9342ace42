/**
 * Node collection through agent pods (the default way in): one agent per node, all in parallel;
 * wait for each to finish, read its log, split it into the node's files. A node that cannot be
 * collected is a gap (`forbidden`, `timeout`, `unreachable`, ...), never a crash, and every agent
 * is deleted whatever happens: in `finally`, and through the process cleanup registry when the
 * run is interrupted.
 */
import { classifyApiError } from '../../cluster/api-error.ts';
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
/** Waiting reasons that will not resolve by themselves within a diagnosis run. */
const STUCK =
  /^(ErrImagePull|ImagePullBackOff|ErrImageNeverPull|InvalidImageName|CreateContainerConfigError|CreateContainerError|RunContainerError)$/;
/** Log lines to read: the whole stream of a node with large iptables dumps. */
const LOG_TAIL = 2_000_000;

interface PodView {
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

/** Collects every node in `nodes` through an agent pod each. */
export async function collectNodesWithAgents(
  port: ClusterPort,
  nodes: readonly string[],
  opts: AgentCollectOptions,
): Promise<NodeCollection> {
  const counter = { calls: 0 };
  const outcomes = await Promise.all(
    nodes.map(async (node) => {
      const outcome = await collectOne(port, node, opts, counter);
      opts.onNode?.(outcome);
      return outcome;
    }),
  );
  return combineOutcomes(outcomes, counter.calls);
}

async function collectOne(
  port: ClusterPort,
  node: string,
  opts: AgentCollectOptions,
  counter: { calls: number },
): Promise<NodeOutcome> {
  const callMs = opts.callTimeoutMs ?? 15_000;
  const name = agentPodName(node, opts.runId);
  const ns = opts.namespace;
  const call = <T>(p: Promise<T>, what: string): Promise<T> => {
    counter.calls += 1;
    return withTimeout(p, callMs, what);
  };
  const deadline = Date.now() + opts.timeoutMs;

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
      if (waiting?.reason && STUCK.test(waiting.reason)) {
        return {
          node,
          status: 'failed',
          gap: nodeGap(
            node,
            COLLECTOR,
            'error',
            `agent pod ${ns}/${name} cannot start: ${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''} (image ${opts.image}; pick another with --agent-image)`,
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
