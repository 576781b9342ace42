/**
 * Content-addressed records of the JSON node files (`ip -j route`, `ip -j neigh`, `bridge -j fdb`).
 * On an overlay cluster each node holds one route, one neighbour and one FDB entry per peer, the
 * same text on every node: 5,000 nodes write 25 million such records, 7 GB, of which 5,000 per
 * kind are distinct. The writer stores one node's records once as the base
 * (`shared/records/<sha256>.json`) and every node's file as runs of that base and its own records,
 * in its own order. The reader checks the base against its name and rebuilds each node's list
 * exactly; a file that is not in this form reads as before.
 */

import { layerRecords, type RecordPart } from '../../datapath/record-layers.ts';
import type { NodeFileKey } from './layout.ts';
import { sha256Hex } from './shared-chains.ts';

/** The node files whose records are shared: one entry per peer node, the same on every node. */
export const SHARED_RECORD_FILES: ReadonlySet<NodeFileKey> = new Set(['routes', 'neighbors', 'fdb']);

/** The key of a node file in shared-records form (its first key, so one look tells). */
export const SHARED_RECORDS_KEY = 'netdoctorSharedRecords';

/** Arrays shorter than this are written whole: a few records gain nothing from sharing. */
export const MIN_SHARED_RECORDS = 64;

const BASE_PATH = /^shared\/records\/([0-9a-f]{64})\.json$/;

/** Runs of the base, `[start, end)`, and the node's own records, in the node's order. */
export type RecordSegment = { base: [number, number] } | { inline: unknown[] };

/** A base: the records of one node, as written. */
export interface RecordBase {
  path: string;
  sha256: string;
  text: string;
  records: readonly string[];
  /** Each distinct record's first index. */
  index: ReadonlyMap<string, number>;
}

/** Makes a base of a node's records, or undefined when its text is not a JSON array of objects. */
export function recordBase(text: string): RecordBase | undefined {
  const records = recordsOf(text);
  if (!records || records.length < MIN_SHARED_RECORDS) return undefined;
  const baseText = `[\n${records.join(',\n')}\n]\n`;
  const sha256 = sha256Hex(baseText);
  const index = new Map<string, number>();
  records.forEach((r, i) => {
    if (!index.has(r)) index.set(r, i);
  });
  return { path: `shared/records/${sha256}.json`, sha256, text: baseText, records, index };
}

/**
 * A node's file as runs of `base` and its own records, or undefined when that is not smaller
 * than the file itself (the node holds other content, or too little to share).
 */
export function encodeRecords(text: string, base: RecordBase): string | undefined {
  const records = recordsOf(text);
  if (!records || records.length < MIN_SHARED_RECORDS) return undefined;
  const segments: RecordSegment[] = [];
  let run: [number, number] | undefined;
  let inline: unknown[] | undefined;
  for (const r of records) {
    const at = run !== undefined && base.records[run[1]] === r ? run[1] : base.index.get(r);
    if (at === undefined) {
      run = undefined;
      if (!inline) {
        inline = [];
        segments.push({ inline });
      }
      inline.push(JSON.parse(r));
      continue;
    }
    inline = undefined;
    if (run !== undefined && run[1] === at) run[1]++;
    else {
      run = [at, at + 1];
      segments.push({ base: run });
    }
  }
  const out = `${JSON.stringify({ [SHARED_RECORDS_KEY]: base.path, segments })}\n`;
  return out.length < text.length ? out : undefined;
}

/** Each element of a JSON array of objects, serialised alone; undefined for any other text. */
function recordsOf(text: string): string[] | undefined {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(data) || !data.every((e) => typeof e === 'object' && e !== null && !Array.isArray(e)))
    return undefined;
  return data.map((e) => JSON.stringify(e));
}

/** What a node file says about shared records. */
export type SharedRecordsRef =
  | { kind: 'none' }
  | { kind: 'ref'; path: string; sha256: string; segments: RecordSegment[] }
  | { kind: 'malformed'; detail: string };

/** Reads a node file in shared-records form; checks its shape, not yet the ranges (the base is not read). */
export function sharedRecordsRef(text: string): SharedRecordsRef {
  if (!text.startsWith(`{"${SHARED_RECORDS_KEY}":`)) return { kind: 'none' };
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    return { kind: 'malformed', detail: `shared records: not valid JSON (${(err as Error).message})` };
  }
  const o = v as { [SHARED_RECORDS_KEY]?: unknown; segments?: unknown };
  const path = o[SHARED_RECORDS_KEY];
  const m = typeof path === 'string' ? BASE_PATH.exec(path) : null;
  if (!m) {
    return {
      kind: 'malformed',
      detail: `names ${JSON.stringify(String(path).slice(0, 120))} as its shared records; expected shared/records/<sha256>.json`,
    };
  }
  if (!Array.isArray(o.segments))
    return { kind: 'malformed', detail: 'shared records: "segments" is not an array' };
  const segments: RecordSegment[] = [];
  for (const [i, s] of o.segments.entries()) {
    const seg = s as { base?: unknown; inline?: unknown };
    if (
      Array.isArray(seg.base) &&
      seg.base.length === 2 &&
      seg.base.every((n) => Number.isInteger(n) && n >= 0) &&
      (seg.base[0] as number) < (seg.base[1] as number)
    )
      segments.push({ base: [seg.base[0] as number, seg.base[1] as number] });
    else if (Array.isArray(seg.inline)) segments.push({ inline: seg.inline });
    else
      return {
        kind: 'malformed',
        detail: `shared records: segment ${i} is neither {"base": [start, end]} nor {"inline": [...]}`,
      };
  }
  return { kind: 'ref', path: path as string, sha256: m[1] as string, segments };
}

/**
 * A node's parsed list from the parsed base and its segments, with how it was assembled kept
 * (datapath/record-layers.ts). `parseInline` parses the node's own records with the file's
 * parser. Throws when a run reaches past the base.
 */
export function assembleRecords<T extends object>(
  base: readonly T[],
  segments: readonly RecordSegment[],
  parseInline: (records: unknown[]) => T[],
): T[] {
  const parts: RecordPart<T>[] = segments.map((s) =>
    'inline' in s ? { own: parseInline(s.inline) } : { start: s.base[0], end: s.base[1] },
  );
  return layerRecords(base, parts);
}
