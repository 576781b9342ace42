/**
 * Many node pods of one run (the probe runner's servers, captures and clients), created through
 * the node pod runner (node-pod.ts) and watched with one list call per poll.
 */
import { registerCleanup } from '../core/cleanup.ts';
import { mapLimit } from '../core/concurrency.ts';
import { withTimeout } from '../core/timeout.ts';
import { CALL_MS, classifyWith, NodePod, type NodePodEnv } from './node-pod.ts';
import type { NodePodSpec } from './node-pod-spec.ts';
import type { NodePodState, NodePodView } from './node-pod-state.ts';
import { PodEvents } from './pod-events.ts';
import { StartFailureWatch } from './pod-start-failure.ts';

/** Deletions in flight at once when a set closes. */
const DELETE_PARALLEL = 8;

/** One pod of a {@link NodePodSet} as the last list showed it. */
export interface NodePodReading {
  name: string;
  view: NodePodView;
  state: NodePodState;
}

/**
 * Many node pods of one run, watched with one list call per poll instead of one read per pod,
 * so a run over many nodes costs the API server the same per poll as a run over one. The set
 * registers one process cleanup for all its pods (close(), at most {@link DELETE_PARALLEL}
 * deletions at once), so an interrupt does not fire thousands of deletions together. The probe
 * runner's servers, captures and clients are such a set.
 */
export class NodePodSet {
  readonly #env: NodePodEnv & { events: PodEvents; callMs: number };
  readonly #selector: string;
  readonly #pods = new Map<string, NodePod>();
  readonly #watch = new StartFailureWatch();
  readonly #unregister: () => void;
  /** Aborted when the set closes: a pod asked for after that is never created. */
  readonly #closing = new AbortController();
  #last: NodePodReading[] = [];
  #closed: Promise<{ name: string; error: unknown }[]> | undefined;

  /**
   * `selector` selects the run's pods (ownedSelector(runId)); close() also deletes what it
   * lists. Call close() in `finally`.
   */
  constructor(env: NodePodEnv, selector: string) {
    const callMs = env.callMs ?? CALL_MS;
    this.#env = { ...env, callMs, events: env.events ?? new PodEvents(env.port, env.namespace, { callMs }) };
    this.#selector = selector;
    this.#unregister = registerCleanup(`pods ${selector} in ${env.namespace}`, () =>
      this.#close().then(() => undefined),
    );
  }

  /** Creates a pod of the set (see NodePod). */
  start(spec: NodePodSpec): NodePod {
    const pod = NodePod.start(this.#env, spec, { cleanup: 'caller', signal: this.#closing.signal });
    this.#pods.set(pod.name, pod);
    return pod;
  }

  /** The namespace's events, shared with the set's own classification. */
  events(): ReturnType<PodEvents['get']> {
    return this.#env.events.get();
  }

  /**
   * Every pod the selector lists, with its state (events weighed for those still Pending). A
   * failed list gives the previous readings: the callers' deadlines bound their waits.
   */
  async poll(now = Date.now()): Promise<NodePodReading[]> {
    let listed: NodePodView[];
    try {
      listed = (await withTimeout(
        this.#env.port.listPods(this.#env.namespace, this.#selector),
        this.#env.callMs,
        `list pods ${this.#selector}`,
      )) as NodePodView[];
    } catch {
      return this.#last;
    }
    this.#last = await Promise.all(
      listed.map(async (view) => {
        const name = view.metadata?.name ?? '';
        const startedAt = this.#pods.get(name)?.startedAt ?? 0;
        const state = await classifyWith(this.#watch, name, view, startedAt, () => this.events(), now);
        return { name, view, state };
      }),
    );
    return this.#last;
  }

  /**
   * Deletes every pod of the set and whatever else the selector still lists (a create that timed
   * out but went through), and drops the set from the process cleanup. Idempotent; returns the
   * deletions that failed.
   */
  close(): Promise<{ name: string; error: unknown }[]> {
    this.#unregister();
    return this.#close();
  }

  #close(): Promise<{ name: string; error: unknown }[]> {
    this.#closing.abort();
    this.#closed ??= this.#deleteAll();
    return this.#closed;
  }

  async #deleteAll(): Promise<{ name: string; error: unknown }[]> {
    const failed: { name: string; error: unknown }[] = [];
    const names = new Set(this.#pods.keys());
    try {
      const listed = (await withTimeout(
        this.#env.port.listPods(this.#env.namespace, this.#selector),
        this.#env.callMs,
        `list pods ${this.#selector}`,
      )) as NodePodView[];
      for (const p of listed) if (p.metadata?.name) names.add(p.metadata.name);
    } catch {
      // The pods this set started are still deleted by name.
    }
    await mapLimit([...names], DELETE_PARALLEL, async (name) => {
      const pod = this.#pods.get(name);
      const r = pod
        ? await pod.delete()
        : await withTimeout(
            this.#env.port.deletePod(this.#env.namespace, name),
            this.#env.callMs,
            `delete pod ${name}`,
          ).then(
            () => ({ ok: true }) as const,
            (error: unknown) => ({ ok: false, error }) as const,
          );
      if (!r.ok) failed.push({ name, error: r.error });
    });
    return failed;
  }
}
