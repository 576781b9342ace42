/**
 * A node's list of records (routes, neighbours, FDB entries) assembled from runs of a shared base
 * and records of its own (collect/bundle/shared-records.ts). On an overlay cluster every node
 * holds one record per peer, the same objects on every node; keeping how a list was assembled
 * lets work derived from the records be done once for the base, and per node only for what
 * differs from it (analyze/record-delta.ts).
 */

/** One part of an assembled list, in the node's order. */
export type RecordPart<T> =
  /** The base's records `[start, end)`, the base's own objects. */
  | { start: number; end: number }
  /** Records the node holds of its own. */
  | { own: readonly T[] };

/** How a list was assembled. */
export interface RecordLayers<T> {
  /** Frozen, and the same array for every node whose file names the same shared base. */
  base: readonly T[];
  parts: readonly RecordPart<T>[];
}

const layersByList = new WeakMap<readonly object[], RecordLayers<object>>();

/**
 * The list `parts` describe over `base`, frozen so that it cannot come to differ from its
 * layers. Throws when a run reaches past the base.
 */
export function layerRecords<T extends object>(base: readonly T[], parts: readonly RecordPart<T>[]): T[] {
  let n = 0;
  for (const p of parts) {
    if ('own' in p) n += p.own.length;
    else if (p.end > base.length)
      throw new Error(
        `shared records: run [${p.start}, ${p.end}) reaches past the ${base.length} records of the base`,
      );
    else n += p.end - p.start;
  }
  // Sized once: thousands of records per list, on every node.
  const out = new Array<T>(n);
  let k = 0;
  for (const p of parts) {
    if ('own' in p) for (const x of p.own) out[k++] = x;
    else for (let i = p.start; i < p.end; i++) out[k++] = base[i] as T;
  }
  Object.freeze(out);
  layersByList.set(out, { base, parts } as RecordLayers<object>);
  return out;
}

/** The layers `list` was assembled from, or undefined for a list parsed from one text. */
export function recordLayers<T extends object>(list: readonly T[]): RecordLayers<T> | undefined {
  return layersByList.get(list) as RecordLayers<T> | undefined;
}
