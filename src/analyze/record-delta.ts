/**
 * Judging a node's records key by key (a key is a peer: on an overlay cluster every node holds
 * one route, one neighbour and one FDB entry per peer) when its list was assembled from runs of
 * a shared base (datapath/record-layers.ts). A rule judges each key of the base once, then on
 * each node judges afresh only the keys whose records differ from the base's: those of its own
 * records, and those of base records it does not hold. On 5,000 nodes of 5,000 peers that is a
 * few keys per node instead of 5,000.
 *
 * A key's records on a node are the base's for that key, in the base's order, exactly when the
 * node holds each of those base records once, holds no record of its own with that key and, if
 * the base has several records with the key, keeps the base's order; every other key is touched.
 * A list that holds a base record twice is not split at all: the caller judges it whole.
 */
import type { RecordLayers } from '../datapath/record-layers.ts';
import { recordLayers } from '../datapath/record-layers.ts';

/** A node's list against its base. */
export interface RecordDelta<T> {
  /** The base the list was assembled from: the same array for every node that names it. */
  base: readonly T[];
  /** Keys whose records on this node are not exactly the base's: judge these on the node. */
  touched: ReadonlySet<number>;
  /** The node's records with key `k`, in the node's order. */
  recordsOf(k: number): T[];
  /** The same with each record's position in the node's list. */
  entriesOf(k: number): { at: number; r: T }[];
}

/** A base's records by key, worked out once per base. */
interface KeyedBase {
  /** The key of each base record; -1 for a record with none. */
  keys: Int32Array;
  /** Each key's base positions, ascending. */
  positions: Map<number, number[]>;
  /** Keys the base holds more than one record for (their order on a node matters). */
  multi: number[];
}

/** A run of the base as the node holds it: base `[start, end)` at node position `at`. */
interface Run {
  start: number;
  end: number;
  at: number;
}

/**
 * Records keyed by `keyOf`, a pure function of the record (a non-negative key, or -1 for a record
 * no key judges). One instance per key function; bases are keyed once each.
 */
export class RecordKeys<T extends object> {
  readonly #keyOf: (r: T) => number;
  readonly #bases = new WeakMap<readonly T[], KeyedBase>();

  constructor(keyOf: (r: T) => number) {
    this.#keyOf = keyOf;
  }

  #keyed(base: readonly T[]): KeyedBase {
    let kb = this.#bases.get(base);
    if (kb) return kb;
    const keys = new Int32Array(base.length);
    const positions = new Map<number, number[]>();
    const multi: number[] = [];
    for (let i = 0; i < base.length; i++) {
      const k = this.#keyOf(base[i] as T);
      keys[i] = k;
      if (k < 0) continue;
      const at = positions.get(k);
      if (!at) positions.set(k, [i]);
      else {
        if (at.length === 1) multi.push(k);
        at.push(i);
      }
    }
    kb = { keys, positions, multi };
    this.#bases.set(base, kb);
    return kb;
  }

  /** The base's records with key `k`, in the base's order. */
  baseRecordsOf(base: readonly T[], k: number): T[] {
    return (this.#keyed(base).positions.get(k) ?? []).map((i) => base[i] as T);
  }

  /** The keys the base holds records for. */
  baseKeys(base: readonly T[]): Iterable<number> {
    return this.#keyed(base).positions.keys();
  }

  /**
   * `list` against its base, or undefined when it was not assembled from one or holds a base
   * record twice (then judge it whole). The work is proportional to the node's own records, the
   * base records it lacks and the runs it is made of, not to the length of the list.
   */
  delta(list: readonly T[]): RecordDelta<T> | undefined {
    const layers: RecordLayers<T> | undefined = recordLayers(list);
    if (!layers) return undefined;
    const { base } = layers;
    const kb = this.#keyed(base);
    const touched = new Set<number>();
    const own = new Map<number, { at: number; r: T }[]>();
    const runs: Run[] = [];
    let at = 0;
    let ascending = true;
    for (const p of layers.parts) {
      if ('own' in p) {
        for (const r of p.own) {
          const k = this.#keyOf(r);
          if (k >= 0) {
            touched.add(k);
            const l = own.get(k);
            if (l) l.push({ at, r });
            else own.set(k, [{ at, r }]);
          }
          at++;
        }
        continue;
      }
      const last = runs[runs.length - 1];
      if (last && p.start < last.start) ascending = false;
      runs.push({ start: p.start, end: p.end, at });
      at += p.end - p.start;
    }
    if (!ascending) runs.sort((a, b) => a.start - b.start);
    // Base records the node does not hold: their keys differ.
    let next = 0;
    for (const run of runs) {
      if (run.start < next) return undefined;
      for (let i = next; i < run.start; i++) if (kb.keys[i]! >= 0) touched.add(kb.keys[i]!);
      next = run.end;
    }
    for (let i = next; i < base.length; i++) if (kb.keys[i]! >= 0) touched.add(kb.keys[i]!);
    if (!ascending) for (const k of kb.multi) touched.add(k);

    const entriesOf = (k: number): { at: number; r: T }[] => {
      const found: { at: number; r: T }[] = [...(own.get(k) ?? [])];
      for (const p of kb.positions.get(k) ?? []) {
        const run = runAt(runs, p);
        if (run) found.push({ at: run.at + p - run.start, r: base[p] as T });
      }
      if (found.length > 1) found.sort((a, b) => a.at - b.at);
      return found;
    };
    return { base, touched, entriesOf, recordsOf: (k) => entriesOf(k).map((e) => e.r) };
  }
}

/** The run holding base position `p`, in runs sorted by start and not overlapping. */
function runAt(runs: readonly Run[], p: number): Run | undefined {
  let lo = 0;
  let hi = runs.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const r = runs[mid] as Run;
    if (p < r.start) hi = mid - 1;
    else if (p >= r.end) lo = mid + 1;
    else return r;
  }
  return undefined;
}
