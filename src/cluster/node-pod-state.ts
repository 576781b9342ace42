/**
 * What a pod netdoctor placed on a node is doing, read from one pod status: still coming, up,
 * ended, never going to start, or gone. Every caller that waits for such a pod (node agents,
 * repair commands, probe pods) decides from this one reading, so a state one of them would
 * wait out forever cannot be missed by another. Pure.
 */
import { type PodStatusView, type StartFailure, startFailureOfPod } from './pod-start-failure.ts';

/** The parts of a container's state this reads. */
export interface ContainerStateView {
  running?: { startedAt?: string };
  waiting?: { reason?: string; message?: string };
  terminated?: { reason?: string; exitCode?: number; message?: string };
}

/** The parts of a pod this reads; K8sPod and the API's wire JSON both fit. */
export interface NodePodView extends PodStatusView {
  metadata?: { name?: string; deletionTimestamp?: string };
  status?: NonNullable<PodStatusView['status']> & {
    phase?: string;
    /** Why the pod ended as a whole: Evicted, DeadlineExceeded, or the kubelet's admission refusal. */
    reason?: string;
    message?: string;
    podIP?: string;
    containerStatuses?: { ready?: boolean; state?: ContainerStateView }[];
  };
}

/**
 * One reading of a node pod. `pending` and `running` may still change; the others are final:
 * - `succeeded` / `failed`: phase Succeeded / Failed: a non-zero exit (`exitReason` Error,
 *   OOMKilled, ...), or the pod as a whole ended (`reason` Evicted, DeadlineExceeded from
 *   activeDeadlineSeconds, the kubelet's admission refusal);
 * - `cannot-start`: stuck where it never leaves on its own (pod-start-failure.ts);
 * - `gone`: deleted, or being deleted (Ctrl-C cleanup, `netdoctor cleanup` from elsewhere).
 */
export type NodePodState =
  | { state: 'pending'; waiting?: string }
  | { state: 'running'; ready: boolean; podIP?: string }
  | { state: 'succeeded'; exitCode?: number }
  | { state: 'failed'; reason?: string; exitCode?: number; exitReason?: string }
  | { state: 'cannot-start'; failure: StartFailure }
  | { state: 'gone' };

/** The states a pod does not leave on its own. */
export type FinalNodePodState = Exclude<NodePodState, { state: 'pending' | 'running' }>;

/** Reads one pod status (undefined: the API has no such pod). */
export function nodePodState(p: NodePodView | undefined): NodePodState {
  if (p === undefined || p.metadata?.deletionTimestamp) return { state: 'gone' };
  const status = p.status ?? {};
  const main = status.containerStatuses?.[0];
  const exitCode = main?.state?.terminated?.exitCode;
  if (status.phase === 'Succeeded')
    return { state: 'succeeded', ...(exitCode === undefined ? {} : { exitCode }) };
  if (status.phase === 'Failed') {
    const exitReason = main?.state?.terminated?.reason;
    return {
      state: 'failed',
      ...(status.reason ? { reason: status.reason } : {}),
      ...(exitCode === undefined ? {} : { exitCode }),
      ...(exitReason ? { exitReason } : {}),
    };
  }
  const failure = startFailureOfPod(p);
  if (failure) return { state: 'cannot-start', failure };
  if (status.phase === 'Running') {
    const ready = status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
    return { state: 'running', ready, ...(status.podIP ? { podIP: status.podIP } : {}) };
  }
  const waiting = main?.state?.waiting?.reason;
  return { state: 'pending', ...(waiting ? { waiting } : {}) };
}

/** True for the states a pod does not leave on its own. */
export function isFinal(s: NodePodState): s is FinalNodePodState {
  return s.state !== 'pending' && s.state !== 'running';
}

/** What the pod's status says about it, for a message: `phase Pending, waiting: ImagePullBackOff (...)`. */
export function podDetail(p: NodePodView | undefined): string {
  if (!p) return 'pod not found';
  const status = p.status ?? {};
  const w = status.containerStatuses?.[0]?.state?.waiting;
  const t = status.containerStatuses?.[0]?.state?.terminated;
  return [
    `phase ${status.phase ?? '?'}`,
    w?.reason ? `waiting: ${w.reason}${w.message ? ` (${w.message.slice(0, 160)})` : ''}` : '',
    t?.reason ? `terminated: ${t.reason}` : '',
    status.reason ?? '',
  ]
    .filter(Boolean)
    .join(', ');
}

/** A start failure as one short line: `ErrImagePull: <first line of the kubelet's message>`. */
export function failureText(f: StartFailure): string {
  return `${f.reason}${f.message ? `: ${f.message.split('\n', 1)[0]?.slice(0, 200)}` : ''}`;
}
