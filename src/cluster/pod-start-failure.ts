/**
 * Why a pod netdoctor placed on a node cannot start, read from its status and the kubelet's
 * events: the image cannot be pulled, the pod sandbox (its network) cannot be set up, the
 * container cannot be created or keeps crashing, or the pod cannot be placed. These states do
 * not resolve within a diagnosis run, so waiting out a budget for them only makes a blind run
 * slow. This is the one list of them; node-pod-state.ts adds the states a pod ends in.
 */
import { NetdoctorError } from '../core/errors.ts';

/**
 * What kept the pod from starting. `network`: the sandbox (CNI ADD) failed on the node;
 * `placement`: the pod was not scheduled.
 */
export type StartFailureKind = 'image' | 'network' | 'container' | 'placement';

export interface StartFailure {
  kind: StartFailureKind;
  /** The kubelet's reason (ErrImagePull, FailedCreatePodSandBox, ...). */
  reason: string;
  message: string;
  /** The kubelet has reported it more than once (it retries a failed sandbox). */
  repeated?: boolean;
}

/** How long a sandbox failure must last before it counts (the kubelet retries; a CNI starting up can fail once). */
export const SANDBOX_CONFIRM_MS = 8_000;

/**
 * Confirms start failures: one the pod status shows is final at once; a failed sandbox counts
 * once the kubelet has reported it twice, or it has lasted {@link SANDBOX_CONFIRM_MS}, so a CNI
 * that was still starting when the pod came does not read as a node that gives no pod a network.
 */
export class StartFailureWatch {
  readonly #firstSeen = new Map<string, number>();

  confirm(pod: string, f: StartFailure | undefined, now = Date.now()): StartFailure | undefined {
    if (f === undefined) return undefined;
    if (f.kind !== 'network' || f.repeated) return f;
    const first = this.#firstSeen.get(pod);
    if (first === undefined) {
      this.#firstSeen.set(pod, now);
      return undefined;
    }
    return now - first >= SANDBOX_CONFIRM_MS ? f : undefined;
  }
}

/**
 * Waiting reasons a container never leaves on its own, and what each says. The kubelet retries
 * a pull or a crashed container, but only with a back-off that outlasts any run of netdoctor's.
 */
export const STUCK_WAITING_REASONS = {
  ErrImagePull: 'image',
  ImagePullBackOff: 'image',
  ErrImageNeverPull: 'image',
  InvalidImageName: 'image',
  CreateContainerConfigError: 'container',
  CreateContainerError: 'container',
  RunContainerError: 'container',
  CrashLoopBackOff: 'container',
} as const satisfies Record<string, Exclude<StartFailureKind, 'network' | 'placement'>>;

type StuckWaitingReason = keyof typeof STUCK_WAITING_REASONS;

function isStuckWaiting(reason: string): reason is StuckWaitingReason {
  return Object.hasOwn(STUCK_WAITING_REASONS, reason);
}

/** The parts of a container status this reads. */
interface ContainerWaitingView {
  state?: { waiting?: { reason?: string; message?: string } };
}

/** The parts of a pod this reads. */
export interface PodStatusView {
  status?: {
    /** PodScheduled False with reason Unschedulable: the scheduler found no place for it. */
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    initContainerStatuses?: ContainerWaitingView[];
    containerStatuses?: ContainerWaitingView[];
  };
}

/** The parts of an event this reads. */
export interface EventView {
  involvedObject?: { name?: string; kind?: string };
  reason?: string;
  message?: string;
  type?: string;
  /** How many times the kubelet reported it (core/v1 events aggregate repeats). */
  count?: number;
}

/**
 * A terminal start failure from the pod's status, if it shows one: a container (init
 * containers first, as the kubelet starts them) waiting for a reason it never leaves, or a pod
 * the scheduler cannot place.
 */
export function startFailureOfPod(p: PodStatusView | undefined): StartFailure | undefined {
  const statuses = [...(p?.status?.initContainerStatuses ?? []), ...(p?.status?.containerStatuses ?? [])];
  for (const c of statuses) {
    const w = c.state?.waiting;
    if (w?.reason && isStuckWaiting(w.reason))
      return { kind: STUCK_WAITING_REASONS[w.reason], reason: w.reason, message: w.message ?? '' };
  }
  const unscheduled = p?.status?.conditions?.find(
    (c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable',
  );
  if (unscheduled) return { kind: 'placement', reason: 'Unschedulable', message: unscheduled.message ?? '' };
  return undefined;
}

/**
 * A start failure the kubelet reported in an event about the pod: a sandbox that could not be
 * created (the CNI plugin failed: no config, a bridge with the wrong address, the agent down)
 * or an image pull that failed, seen before the pod status says so.
 */
export function startFailureOfEvents(pod: string, events: readonly EventView[]): StartFailure | undefined {
  for (const e of events) {
    if (e.involvedObject?.name !== pod || e.type !== 'Warning') continue;
    const message = e.message ?? '';
    if (e.reason === 'FailedCreatePodSandBox')
      return { kind: 'network', reason: e.reason, message, repeated: (e.count ?? 1) >= 2 };
    if (e.reason === 'Failed' && /pull|image/i.test(message))
      return { kind: 'image', reason: 'ErrImagePull', message };
  }
  return undefined;
}

/** The parts of a pod {@link stuckWithoutSandbox} reads. */
export interface PendingPodView extends PodStatusView {
  metadata?: { name?: string };
  status?: NonNullable<PodStatusView['status']> & { phase?: string };
}

/**
 * A pod still Pending in ContainerCreating after `waitedMs`, with no image pull in progress:
 * netdoctor's probe pods mount no volume, so what it waits for is its sandbox (the CNI ADD).
 * Only a pod the kubelet has taken up (it reports the container waiting) counts; one it never
 * saw says nothing about the node's network.
 */
export function stuckWithoutSandbox(
  p: PendingPodView,
  events: readonly EventView[],
  waitedMs: number,
): StartFailure | undefined {
  if (p.status?.phase !== 'Pending') return undefined;
  if (p.status.containerStatuses?.[0]?.state?.waiting?.reason !== 'ContainerCreating') return undefined;
  const mine = events.filter((e) => e.involvedObject?.name === p.metadata?.name);
  const pulling = mine.some((e) => e.reason === 'Pulling') && !mine.some((e) => e.reason === 'Pulled');
  if (pulling) return undefined;
  return {
    kind: 'network',
    reason: 'ContainerCreating',
    message: `the pod sandbox was not set up after ${Math.round(waitedMs / 1000)} s, and the kubelet reported no reason`,
  };
}

/** The one-line stop for an image the nodes cannot pull, with the remedy. */
export function imagePullError(image: string, node: string, f: StartFailure): NetdoctorError {
  const why = f.message.split('\n', 1)[0]?.slice(0, 200) ?? '';
  return new NetdoctorError(
    'inconclusive',
    `node ${node} cannot pull the agent image ${image} (${f.reason}${why ? `: ${why}` : ''}); pass --agent-image IMAGE with an image your nodes can pull (a mirror in your registry), or in an air-gapped cluster load it on every node (docker save ${image} -o agent.tar; ctr -n k8s.io images import agent.tar)`,
    {
      suggestions: [
        `netdoctor diagnose --agent-image <registry.example.com/mirror/${image.split('/').pop() ?? image}>`,
        'netdoctor diagnose --no-probes --node-access ssh --inventory FILE (no pods at all)',
      ],
    },
  );
}
