/**
 * The one node pod runner: creates a pod pinned to a node (node-pod-spec.ts), waits until it is
 * running or has ended, reads its log, and always deletes it. The deletion is registered with the
 * process cleanup before the create is sent, so Ctrl-C mid-create still removes the pod, and
 * `delete()` runs in every caller's `finally`, so a timeout or an abort does too. Whatever keeps
 * a pod from starting is read through node-pod-state.ts and the kubelet's events, the same way
 * for node agents, repair commands and probe pods (node-pod-set.ts watches many at once).
 * Commands run as the pod's own command and answer through its log: nothing needs `pods/exec`.
 */
import { registerCleanup } from '../core/cleanup.ts';
import { TimeoutError, withTimeout } from '../core/timeout.ts';
import { type NodePodSpec, nodePodManifest, type PodName } from './node-pod-spec.ts';
import { type NodePodState, type NodePodView, nodePodState } from './node-pod-state.ts';
import { PodEvents } from './pod-events.ts';
import { type StartFailure, StartFailureWatch, startFailureOfEvents } from './pod-start-failure.ts';
import type { ClusterPort } from './port.ts';

/** Where node pods run and how the runner calls the API. */
export interface NodePodEnv {
  port: ClusterPort;
  namespace: string;
  /** Budget of one API call; default {@link CALL_MS}. */
  callMs?: number;
  /** The namespace's events, shared by every pod of a run; default: one feed per pod. */
  events?: PodEvents;
}

/** Default budget of one API call. */
export const CALL_MS = 15_000;
/**
 * A pod younger than this is not looked up in the events: the kubelet has not taken it up yet,
 * and listing a namespace's events for every fresh pod is load for nothing.
 */
export const EVENTS_AFTER_MS = 2_000;

/** What to wait for: the pod's end, its container running, or its readiness probe passing. */
export type NodePodUntil = 'ended' | 'running' | 'ready';

export interface NodePodWaitOptions {
  /** Epoch ms after which the wait gives up. */
  deadline: number;
  /** Default `ended`. A pod that ends first ends the wait all the same. */
  until?: NodePodUntil;
  /** Stops the wait at once (another pod of the run saw a failure that stops them all). */
  signal?: AbortSignal;
  /** First pause between reads, doubling up to `maxPollMs` (default: no doubling). */
  pollMs?: number;
  maxPollMs?: number;
}

/** A pod that ran and ended, with how. */
export type EndedState = Extract<NodePodState, { state: 'succeeded' | 'failed' }>;

/**
 * How a wait ended. `pod` is the last status read (absent when no read got through); `error`
 * is an API refusal while reading the pod (a read that only timed out is retried instead).
 */
export type NodePodWait =
  | { status: 'running'; ready: boolean; pod: NodePodView }
  | { status: 'ended'; ended: EndedState; pod: NodePodView }
  | { status: 'cannot-start'; failure: StartFailure; pod: NodePodView }
  | { status: 'gone' }
  | { status: 'timeout'; pod: NodePodView | undefined }
  | { status: 'aborted'; pod: NodePodView | undefined }
  | { status: 'error'; error: unknown };

/** Whether the create (or the deletion) went through. */
export type NodePodCreated = { ok: true } | { ok: false; error: unknown };

export interface NodePodStartOptions {
  /** `own` (default): the pod registers its deletion; `caller`: the caller's cleanup deletes it. */
  cleanup?: 'own' | 'caller';
  /** Aborted: the create is not sent. */
  signal?: AbortSignal;
}

/** One pod on one node, from its create to its deletion. */
export class NodePod {
  readonly name: PodName;
  readonly node: string;
  readonly namespace: string;
  /** Settles once the create has been answered; never rejects. */
  readonly created: Promise<NodePodCreated>;
  readonly #port: ClusterPort;
  readonly #callMs: number;
  readonly #events: PodEvents;
  /** When the create was sent, epoch ms. */
  readonly startedAt = Date.now();
  readonly #watch = new StartFailureWatch();
  readonly #unregister: () => void;
  /** Whether the create was sent (a create that failed may still have gone through). */
  readonly #sent: boolean;
  #deleted: Promise<NodePodCreated> | undefined;

  /**
   * Sends the create. The pod's deletion is registered with the process cleanup first, so it
   * always happens; `cleanup: 'caller'` leaves that to a caller whose own registered cleanup
   * deletes the pod (a NodePodSet, which bounds how many deletions run at once). Once `signal`
   * has aborted (the run is being cleaned up) nothing is sent, and `created` says so.
   */
  static start(env: NodePodEnv, spec: NodePodSpec, opts: NodePodStartOptions = {}): NodePod {
    return new NodePod(env, spec, opts);
  }

  private constructor(env: NodePodEnv, spec: NodePodSpec, opts: NodePodStartOptions) {
    this.name = spec.name;
    this.node = spec.node;
    this.namespace = env.namespace;
    this.#port = env.port;
    this.#callMs = env.callMs ?? CALL_MS;
    this.#events = env.events ?? new PodEvents(env.port, env.namespace, { callMs: this.#callMs });
    if (opts.signal?.aborted) {
      this.#sent = false;
      this.#unregister = () => {};
      this.created = Promise.resolve({
        ok: false,
        error: new Error(`pod ${this.#ref} not created: the run was stopped`),
      });
      return;
    }
    this.#sent = true;
    this.#unregister =
      opts.cleanup === 'caller'
        ? () => {}
        : registerCleanup(`pod ${this.#ref}`, () => this.#remove().then(() => undefined));
    const manifest = nodePodManifest(spec, env.namespace);
    this.created = this.#call(this.#port.createPod(this.namespace, manifest), `create pod ${this.#ref}`).then(
      () => ({ ok: true }) as const,
      (error: unknown) => ({ ok: false, error }) as const,
    );
  }

  get #ref(): string {
    return `${this.namespace}/${this.name}`;
  }

  #call<T>(p: Promise<T>, what: string): Promise<T> {
    return withTimeout(p, this.#callMs, what);
  }

  /**
   * Reads the state `view` shows, weighing the kubelet's events while the pod is Pending: a
   * sandbox that cannot be created, or a pull that failed, shows there before (or instead of)
   * the pod status. A failed sandbox counts only once confirmed (StartFailureWatch).
   */
  async classify(view: NodePodView | undefined, now = Date.now()): Promise<NodePodState> {
    return classifyWith(this.#watch, this.name, view, this.startedAt, () => this.#events.get(now), now);
  }

  /** Polls the pod until `until`, a final state, the deadline or the signal. */
  async wait(opts: NodePodWaitOptions): Promise<NodePodWait> {
    const until = opts.until ?? 'ended';
    const maxPoll = opts.maxPollMs ?? opts.pollMs ?? 500;
    let pause = opts.pollMs ?? 500;
    let last: NodePodView | undefined;
    for (;;) {
      let read: { view: NodePodView | undefined } | undefined;
      try {
        read = {
          view: (await this.#call(this.#port.readPod(this.namespace, this.name), `read pod ${this.#ref}`)) as
            | NodePodView
            | undefined,
        };
      } catch (err) {
        if (!(err instanceof TimeoutError)) return { status: 'error', error: err };
      }
      if (read) {
        last = read.view;
        const state = await this.classify(read.view);
        const pod = read.view ?? {};
        switch (state.state) {
          case 'gone':
            return { status: 'gone' };
          case 'succeeded':
          case 'failed':
            return { status: 'ended', ended: state, pod };
          case 'cannot-start':
            return { status: 'cannot-start', failure: state.failure, pod };
          case 'running':
            if (until === 'running' || (until === 'ready' && state.ready))
              return { status: 'running', ready: state.ready, pod };
            break;
          case 'pending':
            break;
        }
      }
      if (opts.signal?.aborted) return { status: 'aborted', pod: last };
      const left = opts.deadline - Date.now();
      if (left <= 0) return { status: 'timeout', pod: last };
      await sleep(Math.min(pause, left), opts.signal);
      pause = Math.min(pause * 2, Math.max(maxPoll, pause));
    }
  }

  /** The container's log (throws what the API call throws, or TimeoutError). */
  log(container: string, tailLines: number): Promise<string> {
    return this.#call(
      this.#port.podLog({ namespace: this.namespace, pod: this.name, container, previous: false, tailLines }),
      `logs of ${this.#ref}`,
    );
  }

  /**
   * Deletes the pod (after its create has been answered, so a create still in flight is not
   * outrun) and drops it from the process cleanup. Idempotent; a failure comes back, for the
   * caller to report or leave to `netdoctor cleanup`.
   */
  delete(): Promise<NodePodCreated> {
    this.#unregister();
    return this.#remove();
  }

  #remove(): Promise<NodePodCreated> {
    if (!this.#sent) return Promise.resolve({ ok: true });
    this.#deleted ??= this.created.then(() =>
      this.#call(this.#port.deletePod(this.namespace, this.name), `delete pod ${this.#ref}`).then(
        () => ({ ok: true }) as const,
        (error: unknown) => ({ ok: false, error }) as const,
      ),
    );
    return this.#deleted;
  }
}

/**
 * The state of one reading, with the events weighed for a Pending pod old enough to be taken up
 * (NodePod and NodePodSet share it).
 */
export async function classifyWith(
  watch: StartFailureWatch,
  name: string,
  view: NodePodView | undefined,
  startedAt: number,
  events: () => Promise<Parameters<typeof startFailureOfEvents>[1]>,
  now: number,
): Promise<NodePodState> {
  // A failure the pod status shows is final at once; only a sandbox failure, which the events
  // alone tell, needs confirming.
  const state = nodePodState(view);
  if (state.state !== 'pending' || view?.status?.phase !== 'Pending' || now - startedAt <= EVENTS_AFTER_MS)
    return state;
  const failure = watch.confirm(name, startFailureOfEvents(name, await events()), now);
  return failure ? { state: 'cannot-start', failure } : state;
}

/** What reading a log gave. */
export type LogRead = { ok: true; text: string } | { ok: false; error: unknown };

/** How {@link runNodePod} ended. */
export type NodePodRun =
  | { status: 'not-created'; error: unknown }
  | { status: 'ended'; ended: EndedState; pod: NodePodView; log: LogRead }
  | Exclude<NodePodWait, { status: 'running' | 'ended' }>;

export interface RunNodePodOptions {
  /** Budget from the create to the end of the pod. */
  timeoutMs: number;
  /** The container whose log is the answer, and how many of its last lines. */
  log: { container: string; tailLines: number };
  signal?: AbortSignal;
  pollMs?: number;
  maxPollMs?: number;
}

/**
 * Runs a pod that does its work and exits: create, wait for its end, read its log, delete it
 * whatever happened. Every outcome, an API refusal included, is a value of {@link NodePodRun}.
 */
export async function runNodePod(
  env: NodePodEnv,
  spec: NodePodSpec,
  opts: RunNodePodOptions,
): Promise<NodePodRun> {
  const deadline = Date.now() + opts.timeoutMs;
  const pod = NodePod.start(env, spec, opts.signal ? { signal: opts.signal } : {});
  try {
    const created = await pod.created;
    if (!created.ok)
      return opts.signal?.aborted
        ? { status: 'aborted', pod: undefined }
        : { status: 'not-created', error: created.error };
    const w = await pod.wait({
      deadline,
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.pollMs === undefined ? {} : { pollMs: opts.pollMs }),
      ...(opts.maxPollMs === undefined ? {} : { maxPollMs: opts.maxPollMs }),
    });
    if (w.status === 'running') return { status: 'timeout', pod: w.pod };
    if (w.status !== 'ended') return w;
    let log: LogRead;
    try {
      log = { ok: true, text: await pod.log(opts.log.container, opts.log.tailLines) };
    } catch (error) {
      log = { ok: false, error };
    }
    return { ...w, log };
  } finally {
    // A failed delete is left to `netdoctor cleanup`; activeDeadlineSeconds stops the pod meanwhile.
    await pod.delete();
  }
}

/** Sleeps `ms`, or less when `signal` aborts. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
