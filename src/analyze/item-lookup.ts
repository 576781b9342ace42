/**
 * The state of a collected item as analysis sees it: what the bundle recorded, corrected by
 * what reading it showed (a file the manifest vouches for that is missing or does not parse is
 * not collected). Snapshots built in memory record no states: there a part that is present was
 * collected and a part that is missing is unknown.
 */
import {
  clusterItemPath,
  describeState,
  type NodeItemKey,
  nodeItemPath,
  PROBES_ITEM,
} from '../collect/bundle/item-state.ts';
import { type ClusterFileKey, NODE_FILES } from '../collect/bundle/layout.ts';
import type { NodeDatapath } from '../core/datapath-types.ts';
import type { ItemState } from '../core/item-state.ts';
import type { Gap, Snapshot } from '../core/model.ts';

const UNKNOWN: ItemState = { state: 'not-collected', reason: 'unknown' };

/**
 * Gaps the reader found for a file (it is missing or does not parse), by path. Gaps grow while
 * nodes stream in, so the index catches up with the new ones on each lookup.
 */
const readGaps = new WeakMap<Gap[], { seen: number; byPath: Map<string, Gap> }>();
function readGap(s: Snapshot, path: string): Gap | undefined {
  let idx = readGaps.get(s.gaps);
  if (!idx) {
    idx = { seen: 0, byPath: new Map() };
    readGaps.set(s.gaps, idx);
  }
  for (; idx.seen < s.gaps.length; idx.seen++) {
    const g = s.gaps[idx.seen] as Gap;
    if ((g.reason === 'parse-error' || g.reason === 'not-found') && !idx.byPath.has(g.collector))
      idx.byPath.set(g.collector, g);
  }
  return idx.byPath.get(path);
}

/** The recorded state of `path`, overridden by a gap the reader found for that very file. */
function recorded(s: Snapshot, path: string): ItemState | undefined {
  const r = s.items?.[path];
  if (r?.state !== 'collected') return r;
  const g = readGap(s, path);
  return g ? { state: 'not-collected', reason: 'unreadable', ...(g.detail ? { detail: g.detail } : {}) } : r;
}

/** A cluster list's state. */
export function clusterItemState(s: Snapshot, key: ClusterFileKey): ItemState {
  const path = clusterItemPath(key);
  const r = recorded(s, path);
  if (r) return r;
  if (s.items) return UNKNOWN;
  // In memory: a list with a gap naming it was not collected.
  const bare = path.replace(/\.json$/, '');
  const g = s.gaps.find((x) => x.node === undefined && x.collector.toLowerCase() === bare);
  return g
    ? { state: 'not-collected', reason: 'error', ...(g.detail ? { detail: g.detail } : {}) }
    : { state: 'collected' };
}

/** The probe results' state. */
export function probesItemState(s: Snapshot): ItemState {
  if (s.probes === undefined) {
    const r = recorded(s, PROBES_ITEM);
    return r && r.state !== 'collected' ? r : UNKNOWN;
  }
  return recorded(s, PROBES_ITEM) ?? { state: 'collected' };
}

/** A node part's state, given the node's parsed datapath. */
export function nodeItemState(s: Snapshot, dp: NodeDatapath, key: NodeItemKey): ItemState {
  const path = nodeItemPath(dp.name, key);
  const present = dp[key] !== undefined;
  const r = recorded(s, path);
  if (r?.state === 'collected' && !present) {
    return {
      state: 'not-collected',
      reason: 'unreadable',
      detail: 'recorded as collected, but not readable in the bundle',
    };
  }
  if (r) return r;
  if (present) return { state: 'collected' };
  return s.items === undefined && notFoundGap(s, dp.name, key) ? { state: 'absent' } : UNKNOWN;
}

/** In memory, a not-found gap naming the node part (or, for the CNI configs, any CNI collector). */
function notFoundGap(s: Snapshot, node: string, key: NodeItemKey): boolean {
  const names =
    key === 'cniConfigs' ? /cni/i : new RegExp(`(^|/)(${key}|${NODE_FILES[key].replace('.', '\\.')})$`);
  return s.gaps.some((g) => g.node === node && g.reason === 'not-found' && names.test(g.collector));
}

/** Whether the node part is known not to exist on the node. */
export function isAbsent(s: Snapshot, dp: NodeDatapath, key: NodeItemKey): boolean {
  return nodeItemState(s, dp, key).state === 'absent';
}

/** "ip-route.json not collected", with the reason when one is known. */
export function notCollectedText(path: string, st: ItemState): string {
  const name = path
    .split('/')
    .slice(path.startsWith('nodes/') ? 2 : 0)
    .join('/');
  if (st.state === 'not-collected' && st.reason === 'unknown' && st.detail === undefined)
    return `${name} not collected`;
  return describeState(name, st);
}
