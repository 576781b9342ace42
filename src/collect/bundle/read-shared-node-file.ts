/**
 * Node files that name a shared file: iptables dumps whose kube-proxy chains are shared
 * (shared-chains.ts) and JSON lists whose records are runs of a shared base (shared-records.ts).
 * Each is rebuilt into exactly the value its whole file would have parsed to.
 */
import type { NodeDatapath } from '../../core/datapath-types.ts';
import type { Gap } from '../../core/model.ts';
import { freezeDump, layerDumps } from '../../datapath/iptables-layers.ts';
import { NODE_FILE_PARSERS } from '../../datapath/parsers/index.ts';
import { parseIptablesSave } from '../../datapath/parsers/iptables-save.ts';
import type { NodeFileKey } from './layout.ts';
import type { OpenedBundle } from './open-bundle.ts';
import { type Shared, sharedFile } from './read-shared.ts';
import { sharedChainsRef } from './shared-chains.ts';
import { assembleRecords, sharedRecordsRef } from './shared-records.ts';
import { assertValid } from './validate.ts';

type ListKey = 'routes' | 'neighbors' | 'fdb';

/** One node file being read. */
export interface NodeFileRead {
  opened: OpenedBundle;
  entry: { path: string; node: string; key: NodeFileKey };
  text: string;
  dp: NodeDatapath;
  gaps: Gap[];
  timer: { parseMs: number };
  /** Runs `fn` as the file's parse: timed, and a throw becomes a parse-error gap. */
  parse: (fn: () => void) => void;
}

/**
 * Reads `r` if its file names a shared file, and says whether it did; a file that does not is
 * left to the usual parser. A shared file that cannot be used is a gap for this node file.
 */
export async function readSharedNodeFile(r: NodeFileRead): Promise<boolean> {
  const { key } = r.entry;
  if (key === 'iptablesNft' || key === 'iptablesLegacy') return readChains(r, key);
  if (key === 'routes' || key === 'neighbors' || key === 'fdb') return readRecords(r, key);
  return false;
}

async function readChains(r: NodeFileRead, key: 'iptablesNft' | 'iptablesLegacy'): Promise<boolean> {
  const ref = sharedChainsRef(r.text);
  if (ref.kind === 'none') return false;
  if (ref.kind === 'malformed') return gap(r, { reason: 'parse-error', detail: ref.detail });
  const shared = await sharedFile(r.opened, 'iptables', ref, r.timer, (text) => {
    const dump = parseIptablesSave(text);
    assertValid({ kind: 'node', key: 'iptablesNft' }, dump);
    return freezeDump(dump);
  });
  if (shared.kind === 'unusable') return gap(r, shared);
  r.parse(() => {
    const own = parseIptablesSave(r.text);
    assertValid({ kind: 'node', key }, own);
    r.dp[key] = layerDumps(own, shared.value, ref.orders);
  });
  return true;
}

async function readRecords(r: NodeFileRead, key: ListKey): Promise<boolean> {
  const ref = sharedRecordsRef(r.text);
  if (ref.kind === 'none') return false;
  if (ref.kind === 'malformed') return gap(r, { reason: 'parse-error', detail: ref.detail });
  const parseList = (text: string): object[] => {
    const list = NODE_FILE_PARSERS[key](text);
    assertValid({ kind: 'node', key }, list);
    return list;
  };
  const shared = await sharedFile(r.opened, key, ref, r.timer, (text) =>
    Object.freeze(parseList(text).map(deepFreeze)),
  );
  if (shared.kind === 'unusable') return gap(r, shared);
  r.parse(() => {
    const list = assembleRecords(shared.value, ref.segments, (inline) => parseList(JSON.stringify(inline)));
    (r.dp as Record<ListKey, unknown>)[key] = list;
  });
  return true;
}

function gap(
  r: NodeFileRead,
  why: Extract<Shared<unknown>, { kind: 'unusable' }> | { reason: 'parse-error'; detail: string },
): true {
  r.gaps.push({ collector: r.entry.path, reason: why.reason, detail: why.detail, node: r.entry.node });
  return true;
}

/** Freezes a parsed record and the arrays and objects in it: many nodes hold the same one. */
function deepFreeze<T extends object>(o: T): T {
  for (const v of Object.values(o)) if (typeof v === 'object' && v !== null) deepFreeze(v);
  return Object.freeze(o);
}
