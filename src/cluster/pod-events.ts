/**
 * The kubelet's events in one namespace, listed at most once per interval however many pods ask:
 * it says why a sandbox could not be created nowhere else, and one list serves every pod of a run.
 */

import { withTimeout } from '../core/timeout.ts';
import type { EventView } from './pod-start-failure.ts';
import type { ClusterPort } from './port.ts';

/** How long one list of events is reused. */
export const EVENTS_TTL_MS = 2_000;

export class PodEvents {
  readonly #port: ClusterPort;
  readonly #namespace: string;
  readonly #ttlMs: number;
  readonly #callMs: number;
  #last: { at: number; list: Promise<EventView[]> } | undefined;
  #good: EventView[] = [];

  constructor(port: ClusterPort, namespace: string, opts: { ttlMs?: number; callMs: number }) {
    this.#port = port;
    this.#namespace = namespace;
    this.#ttlMs = opts.ttlMs ?? EVENTS_TTL_MS;
    this.#callMs = opts.callMs;
  }

  /**
   * The namespace's events, at most `ttlMs` old. A failed list (no permission to list events,
   * a slow API server) gives the last good one, or none: the pod status still says what it can,
   * and the caller's deadline bounds the wait.
   */
  get(now = Date.now()): Promise<EventView[]> {
    if (this.#last && now - this.#last.at < this.#ttlMs) return this.#last.list;
    const ns = this.#namespace;
    const list = withTimeout(
      this.#port.list('events', { namespaces: [ns] }),
      this.#callMs,
      `list events in ${ns}`,
    ).then(
      (items) => {
        this.#good = items.filter((e): e is EventView => typeof e === 'object' && e !== null);
        return this.#good;
      },
      () => this.#good,
    );
    this.#last = { at: now, list };
    return list;
  }
}
