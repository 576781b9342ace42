/**
 * What became of every item a collection tried to gather (a cluster list, a node's command
 * output or file, the CNI config directory, the probe results): collected, absent on the node,
 * or not collected and why. Rules read "absent" as evidence (the file does not exist there) and
 * "not collected" as unknown, so a failed collection never passes for a missing file.
 *
 * Items are named by their bundle path (`cluster/pods.json`, `nodes/n1/subnet.env`,
 * `nodes/n1/cni-net.d`, `probes/results.json`) so a person can match a state to a file.
 */
import type { ItemState, ItemStates, NotCollectedReason } from '../../core/item-state.ts';
import { NOT_COLLECTED_REASONS } from '../../core/item-state.ts';
import type { Gap } from '../../core/model.ts';
import {
  CLUSTER_FILES,
  type ClusterFileKey,
  NODE_CNI_DIR,
  NODE_FILES,
  type NodeFileKey,
  nodeDir,
  PROBES_FILE,
} from './layout.ts';
import type { BundleInput } from './types.ts';

export type { ItemState, ItemStates, NotCollectedReason } from '../../core/item-state.ts';
export { NOT_COLLECTED_REASONS } from '../../core/item-state.ts';

/** A node item: one of the node files, or the CNI config directory. */
export type NodeItemKey = NodeFileKey | 'cniConfigs';

/** The bundle path naming a node item. */
export function nodeItemPath(node: string, key: NodeItemKey): string {
  return key === 'cniConfigs' ? `${nodeDir(node)}/${NODE_CNI_DIR}` : `${nodeDir(node)}/${NODE_FILES[key]}`;
}

/** The bundle path naming a cluster item. */
export function clusterItemPath(key: ClusterFileKey): string {
  return CLUSTER_FILES[key];
}

export const PROBES_ITEM = PROBES_FILE;

/** A short human reading of a state, for skip reasons and reports. */
export function describeState(path: string, s: ItemState): string {
  switch (s.state) {
    case 'collected':
      return `${path} collected`;
    case 'absent':
      return `${path} does not exist on the node`;
    case 'not-collected':
      return `${path} not collected (${s.reason}${s.detail ? `: ${s.detail}` : ''})`;
  }
}

/** Gap reasons as not-collected reasons. */
export function reasonOfGap(g: Gap): NotCollectedReason {
  switch (g.reason) {
    case 'forbidden':
      return 'forbidden';
    case 'timeout':
      return 'timeout';
    case 'not-collected':
      return 'not-attempted';
    case 'parse-error':
      return 'unreadable';
    default:
      return 'error';
  }
}

/** Errors from reading a file that say it does not exist (POSIX tools, busybox, GNU). */
const NO_SUCH_FILE = /No such file or directory|can't open .*: No such file/i;

/** The node item a gap's collector names (`node/agent/routes` -> routes), if any. */
function nodeItemOfGap(g: Gap): NodeItemKey | undefined {
  const last = g.collector.split('/').pop() ?? '';
  if (last in NODE_FILES) return last as NodeFileKey;
  const byFile = (Object.keys(NODE_FILES) as NodeFileKey[]).find((k) =>
    g.collector.endsWith(`/${NODE_FILES[k]}`),
  );
  return byFile;
}

/** Node file keys the node script gathers by reading a file, where "no such file" is a fact. */
export const FILE_ITEMS: readonly NodeFileKey[] = ['flannelSubnetEnv', 'resolvConf'];

/**
 * States for a bundle written before item states were recorded. Only what the bundle shows
 * unambiguously is re-derived: a file that is there was collected; a node file whose gap says
 * "No such file or directory" for a file the script reads is absent; a node gap otherwise is
 * not collected for that gap's reason; a node with no record of a part at all, a whole node with
 * no files, and an empty CNI config directory read as unknown, never as absent.
 */
export function legacyItemStates(
  files: readonly string[],
  gaps: readonly Gap[],
  nodeNames: readonly string[],
): ItemStates {
  const present = new Set(files);
  const out: ItemStates = {};
  for (const key of Object.keys(CLUSTER_FILES) as ClusterFileKey[]) {
    const path = clusterItemPath(key);
    out[path] = present.has(path) ? { state: 'collected' } : unknownState(gaps, path);
  }
  out[PROBES_ITEM] = present.has(PROBES_ITEM) ? { state: 'collected' } : unknownState(gaps, PROBES_ITEM);
  const nodeGaps = new Map<string, Gap[]>();
  for (const g of gaps) {
    if (g.node === undefined) continue;
    const list = nodeGaps.get(g.node);
    if (list) list.push(g);
    else nodeGaps.set(g.node, [g]);
  }
  // Nodes with at least one CNI config file, found in one pass (bundles list 70,000 files at 5,000 nodes).
  const withCni = new Set<string>();
  for (const f of files) {
    const parts = f.split('/');
    if (parts.length === 4 && parts[0] === 'nodes' && parts[2] === NODE_CNI_DIR)
      withCni.add(parts[1] as string);
  }
  for (const node of nodeNames) {
    const mine = nodeGaps.get(node) ?? [];
    const whole = mine.find((g) => nodeItemOfGap(g) === undefined && !/cni/i.test(g.collector));
    for (const key of Object.keys(NODE_FILES) as NodeFileKey[]) {
      const path = nodeItemPath(node, key);
      if (present.has(path)) {
        out[path] = { state: 'collected' };
        continue;
      }
      const g = mine.find((x) => nodeItemOfGap(x) === key);
      if (g && FILE_ITEMS.includes(key) && NO_SUCH_FILE.test(g.detail ?? '')) out[path] = { state: 'absent' };
      else if (g) out[path] = notCollected(reasonOfGap(g), g.detail);
      else if (whole) out[path] = notCollected(reasonOfGap(whole), whole.detail);
      else out[path] = notCollected('unknown', 'the bundle does not record this part');
    }
    const cni = nodeItemPath(node, 'cniConfigs');
    out[cni] = withCni.has(node)
      ? { state: 'collected' }
      : notCollected('unknown', 'the bundle does not record whether the directory exists');
  }
  return out;
}

function notCollected(reason: NotCollectedReason, detail: string | undefined): ItemState {
  return { state: 'not-collected', reason, ...(detail === undefined ? {} : { detail }) };
}

function unknownState(gaps: readonly Gap[], path: string): ItemState {
  const bare = path.replace(/\.json$/, '');
  const g = gaps.find((x) => x.collector === path || x.collector.toLowerCase() === bare);
  return g ? notCollected(reasonOfGap(g), g.detail) : notCollected('unknown', 'the bundle does not hold it');
}

/**
 * Parses the manifest's `items` (an object of path -> state); undefined when the manifest has
 * none (an older bundle). Entries that are not valid states are dropped, so they read as unknown.
 */
export function parseItemStates(raw: unknown): ItemStates | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const out: ItemStates = {};
  for (const [path, v] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof v !== 'object' || v === null) continue;
    const s = v as Record<string, unknown>;
    const detail = typeof s['detail'] === 'string' ? s['detail'] : undefined;
    if (s['state'] === 'collected') out[path] = { state: 'collected' };
    else if (s['state'] === 'absent')
      out[path] = { state: 'absent', ...(detail === undefined ? {} : { detail }) };
    else if (s['state'] === 'not-collected') {
      const reason = NOT_COLLECTED_REASONS.find((r) => r === s['reason']) ?? 'unknown';
      out[path] = notCollected(reason, detail);
    }
  }
  return out;
}

/**
 * The states a bundle being written records: a written file was collected; a node part the
 * node reported as absent or failed keeps that state; a cluster list with a gap was not
 * collected (its file holds an empty list, which must not read as "none exist"); anything the
 * collection never reached (a node that returned nothing, probes not run) is not collected, with
 * the reason its gap gives.
 */
export function collectionItemStates(input: BundleInput, written: ReadonlySet<string>): ItemStates {
  const out: ItemStates = {};
  const gapFor = (pred: (g: Gap) => boolean): Gap | undefined => input.gaps.find(pred);
  for (const key of Object.keys(CLUSTER_FILES) as ClusterFileKey[]) {
    const path = clusterItemPath(key);
    const bare = path.replace(/\.json$/, '');
    const g = gapFor((x) => x.node === undefined && x.collector.toLowerCase() === bare);
    if (g) out[path] = notCollected(reasonOfGap(g), g.detail);
    else out[path] = written.has(path) ? { state: 'collected' } : notCollected('not-attempted', undefined);
  }
  if (input.probes) out[PROBES_ITEM] = { state: 'collected' };
  else {
    const g = gapFor((x) => x.collector === 'probes' || x.collector.startsWith('probe'));
    out[PROBES_ITEM] = g ? notCollected(reasonOfGap(g), g.detail) : notCollected('not-attempted', undefined);
  }
  const names = new Set([...input.cluster.nodes.map((n) => n.metadata.name), ...Object.keys(input.nodes)]);
  const byNode = new Map<string, Gap[]>();
  for (const g of input.gaps) {
    if (g.node === undefined) continue;
    const list = byNode.get(g.node);
    if (list) list.push(g);
    else byNode.set(g.node, [g]);
  }
  for (const node of names) {
    const data = input.nodes[node];
    const mine = byNode.get(node) ?? [];
    const whole = mine.find((g) => nodeItemOfGap(g) === undefined && g.collector.startsWith('node'));
    const keys: NodeItemKey[] = [...(Object.keys(NODE_FILES) as NodeFileKey[]), 'cniConfigs'];
    for (const key of keys) {
      const path = nodeItemPath(node, key);
      const explicit = data?.states?.[key];
      if (key === 'cniConfigs' ? (data?.cniFiles.length ?? 0) > 0 : written.has(path)) {
        out[path] = { state: 'collected' };
      } else if (explicit) out[path] = explicit;
      else {
        const g = mine.find((x) => nodeItemOfGap(x) === key) ?? whole;
        out[path] = g ? notCollected(reasonOfGap(g), g.detail) : notCollected('not-attempted', undefined);
      }
    }
  }
  return out;
}
