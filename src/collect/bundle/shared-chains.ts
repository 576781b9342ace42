/**
 * Content-addressed iptables chains. On a cluster of thousands of nodes almost all of each node's
 * iptables-save is kube-proxy's Service chains, the same on every node (5 MB a node at 5,000
 * Services). The writer stores those chains once per distinct content under `shared/iptables/`,
 * named by the SHA-256 of their text, and the node's file keeps its own chains plus comment
 * lines naming the shared file and, for the dispatch chains kube-proxy writes in random order,
 * the node's own order. The node file stays a valid iptables-save dump (iptables-restore and
 * people skip comments), and a bundle without shared files reads exactly as before.
 *
 * Nothing is merged on trust: two nodes share a file only when their chains hold the same rules,
 * byte for byte, and each keeps its exact order; the reader checks the hash of what it reads
 * against the name, and that an order is a permutation of the shared rules.
 */
import { createHash } from 'node:crypto';
import { DISPATCH_CHAINS, isClusterWideProxyChain } from '../../datapath/kube-proxy-chains.ts';
import type { NodeFileKey } from './layout.ts';

/** The node files whose kube-proxy chains are shared. */
export const SHARED_CHAIN_FILES: ReadonlySet<NodeFileKey> = new Set(['iptablesNft', 'iptablesLegacy']);

/** The first line of a node file whose cluster-wide chains live in a shared file. */
export const SHARED_CHAINS_MARKER = '# netdoctor-shared-chains: ';
/** `# netdoctor-shared-order: <table> <chain> <order>`: the node's order of a dispatch chain. */
export const SHARED_ORDER_MARKER = '# netdoctor-shared-order: ';

const SHARED_PATH = /^shared\/iptables\/([0-9a-f]{64})\.txt$/;
const ORDER_LINE = /^([A-Za-z0-9_-]{1,64}) ([A-Za-z0-9_.:-]{1,64}) (\S+)$/;

/** Where the shared chains with this SHA-256 (lowercase hex) are stored in a bundle. */
export function sharedChainsPath(sha256: string): string {
  return `shared/iptables/${sha256}.txt`;
}

/** SHA-256 of a text's UTF-8 bytes, lowercase hex. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** A node file split into its own chains and the shared ones. */
export interface SplitDump {
  /** The node's file as written: the marker lines, then its own tables, chains and rules. */
  node: string;
  /** The cluster-wide chains of every table, as an iptables-save dump of their own. */
  shared: { path: string; sha256: string; text: string };
}

/** A dispatch chain's rules in the node's order: `order[k]` is the index, in the shared file, of its k-th rule. */
export interface ChainOrder {
  table: string;
  chain: string;
  order: number[];
}

/**
 * The shared files a writer has made so far, by the SHA-256 of their content in canonical form
 * (dispatch rules sorted). A later node with the same rules in another order names the file
 * already made, with its own order; a node in the stored order needs no order line at all.
 */
export type SharedChainsIndex = Map<string, StoredChains>;

interface StoredChains {
  path: string;
  sha256: string;
  text: string;
  /** Each dispatch chain's rules as the file holds them, by `table chain`. */
  dispatch: ReadonlyMap<string, readonly string[]>;
}

interface TableParts {
  line: string;
  name: string;
  /** Declarations and rules of the cluster-wide chains, but the dispatch rules. */
  shared: string[];
  dispatch: Map<string, string[]>;
}

/**
 * Splits an iptables-save dump into the node's own chains and kube-proxy's cluster-wide ones.
 * Given the writer's `known` files, content already stored is named, not stored again; without
 * it the dispatch rules are stored sorted, so equal content gives an equal file on its own.
 * Undefined when there is nothing to share, or when the text is not a well-formed dump (a table
 * cut short): that is stored whole, so the reader reports it exactly as collected.
 */
export function splitIptablesSave(text: string, known?: SharedChainsIndex): SplitDump | undefined {
  if (text.startsWith(SHARED_CHAINS_MARKER)) return undefined;
  const node: string[] = [];
  const tables: TableParts[] = [];
  let table: TableParts | undefined;
  for (const line of text.split('\n')) {
    const bare = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (table === undefined) {
      if (bare.startsWith('*'))
        table = { line: bare, name: bare.slice(1).trim(), shared: [], dispatch: new Map() };
      node.push(line);
      continue;
    }
    if (bare === 'COMMIT') {
      if (table.shared.length + table.dispatch.size > 0) tables.push(table);
      table = undefined;
      node.push(line);
      continue;
    }
    const chain = chainOf(bare);
    if (chain === undefined || !isClusterWideProxyChain(chain)) node.push(line);
    else if (bare.startsWith('-A ') && DISPATCH_CHAINS.has(chain)) {
      const list = table.dispatch.get(chain);
      if (list) list.push(bare);
      else table.dispatch.set(chain, [bare]);
    } else table.shared.push(bare);
  }
  if (table !== undefined || tables.length === 0) return undefined;

  const canonical = renderShared(tables, (lines) => [...lines].sort());
  const key = sha256Hex(canonical.text);
  let stored = known?.get(key);
  if (!stored) {
    // A writer that sees every node keeps the first one's order: nodes in it need no order line.
    const r = known ? renderShared(tables, (lines) => lines) : canonical;
    const sha256 = known ? sha256Hex(r.text) : key;
    stored = { path: sharedChainsPath(sha256), sha256, text: r.text, dispatch: r.dispatch };
    known?.set(key, stored);
  }
  const header = [`${SHARED_CHAINS_MARKER}${stored.path}`];
  for (const t of tables) {
    for (const [chain, lines] of t.dispatch) {
      const order = relativeOrder(stored.dispatch.get(`${t.name} ${chain}`) ?? [], lines);
      if (order.some((o, k) => o !== k))
        header.push(`${SHARED_ORDER_MARKER}${t.name} ${chain} ${encodeOrder(order)}`);
    }
  }
  return {
    node: `${header.join('\n')}\n${node.join('\n')}`,
    shared: { path: stored.path, sha256: stored.sha256, text: stored.text },
  };
}

/** The shared file's text, each dispatch chain's rules in the order `arrange` gives. */
function renderShared(
  tables: readonly TableParts[],
  arrange: (lines: readonly string[]) => readonly string[],
): { text: string; dispatch: Map<string, readonly string[]> } {
  const out: string[] = [];
  const dispatch = new Map<string, readonly string[]>();
  for (const t of tables) {
    out.push(t.line, ...t.shared);
    for (const [chain, lines] of t.dispatch) {
      const arranged = arrange(lines);
      dispatch.set(`${t.name} ${chain}`, arranged);
      out.push(...arranged);
    }
    out.push('COMMIT');
  }
  return { text: `${out.join('\n')}\n`, dispatch };
}

/** For each of `lines`, its index in `stored` (the same lines in another order; repeats kept apart). */
function relativeOrder(stored: readonly string[], lines: readonly string[]): number[] {
  const slots = new Map<string, number[]>();
  stored.forEach((l, i) => {
    const q = slots.get(l);
    if (q) q.push(i);
    else slots.set(l, [i]);
  });
  return lines.map((l) => slots.get(l)?.shift() ?? -1);
}

/**
 * An order as `b<width>.<count>:` and the base64 of its indices packed at `width` bits each,
 * least significant bit first: the fewest whole bits the largest index needs (13 for 5,000
 * Services: 1.7 bytes an index, 11 KB a node where 16-bit words took 13 KB). Indices wider
 * than 23 bits are written in decimal, joined by commas.
 */
export function encodeOrder(order: readonly number[]): string {
  const max = order.reduce((m, x) => Math.max(m, x), 0);
  const width = Math.max(1, 32 - Math.clz32(max));
  if (width > MAX_ORDER_WIDTH) return order.join(',');
  const bytes = Buffer.alloc(Math.ceil((order.length * width) / 8));
  let acc = 0;
  let bits = 0;
  let p = 0;
  for (const v of order) {
    acc = (acc | (v << bits)) >>> 0;
    bits += width;
    while (bits >= 8) {
      bytes[p++] = acc & 0xff;
      acc >>>= 8;
      bits -= 8;
    }
  }
  if (bits > 0) bytes[p] = acc & 0xff;
  return `b${width}.${order.length}:${bytes.toString('base64')}`;
}

/** Indices wider than this are written in decimal (the bit reader keeps at most 31 bits). */
const MAX_ORDER_WIDTH = 23;
const PACKED_ORDER = /^b(\d{1,2})\.(\d{1,8}):/;

export function decodeOrder(text: string): number[] | undefined {
  const packed = PACKED_ORDER.exec(text);
  if (packed) return decodePacked(Number(packed[1]), Number(packed[2]), text.slice(packed[0].length));
  // 16-bit words: what bundles were written with before the packed form, still read.
  if (text.startsWith('u16:')) return decodeWords(text.slice(4));
  return /^\d+(?:,\d+)*$/.test(text) ? text.split(',').map(Number) : undefined;
}

/** The bytes of the writer's own base64 only: decoding skips characters that are not base64. */
function base64Bytes(body: string): Buffer | undefined {
  const bytes = Buffer.from(body, 'base64');
  // The text must be what the bytes encode to (a check of the characters took 0.3 s on 5,000 nodes).
  return bytes.toString('base64') === body ? bytes : undefined;
}

function decodePacked(width: number, count: number, body: string): number[] | undefined {
  const bytes = base64Bytes(body);
  if (width < 1 || width > MAX_ORDER_WIDTH || !bytes) return undefined;
  if (bytes.length !== Math.ceil((count * width) / 8)) return undefined;
  const mask = (1 << width) - 1;
  const out = new Array<number>(count);
  let acc = 0;
  let bits = 0;
  let p = 0;
  for (let i = 0; i < count; i++) {
    while (bits < width) {
      acc = (acc | ((bytes[p++] as number) << bits)) >>> 0;
      bits += 8;
    }
    out[i] = acc & mask;
    acc >>>= width;
    bits -= width;
  }
  // The padding of the last byte is zero in what the writer wrote; anything else is not its own.
  return acc === 0 ? out : undefined;
}

function decodeWords(body: string): number[] | undefined {
  const bytes = base64Bytes(body);
  if (!bytes || bytes.length % 2 !== 0) return undefined;
  const out = new Array<number>(bytes.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = bytes.readUInt16LE(i * 2);
  return out;
}

/** The chain a `:CHAIN POLICY [counters]` or `-A CHAIN ...` line belongs to. */
function chainOf(line: string): string | undefined {
  if (line.startsWith(':')) {
    const sp = line.indexOf(' ');
    return sp > 1 ? line.slice(1, sp) : undefined;
  }
  if (line.startsWith('-A ')) {
    const sp = line.indexOf(' ', 3);
    return sp === -1 ? line.slice(3) : line.slice(3, sp);
  }
  return undefined;
}

/** What a node file's first lines say about shared chains. */
export type SharedChainsRef =
  | { kind: 'none' }
  | { kind: 'ref'; path: string; sha256: string; orders: ChainOrder[] }
  | { kind: 'malformed'; detail: string };

/** Reads the marker lines of a node file, if it has them. Only a path the writer makes is accepted. */
export function sharedChainsRef(text: string): SharedChainsRef {
  if (!text.startsWith(SHARED_CHAINS_MARKER)) return { kind: 'none' };
  let pos = 0;
  const next = (): string => {
    const end = text.indexOf('\n', pos);
    const line = text.slice(pos, end === -1 ? undefined : end);
    pos = end === -1 ? text.length : end + 1;
    return line;
  };
  const path = next().slice(SHARED_CHAINS_MARKER.length).trim();
  const m = SHARED_PATH.exec(path);
  if (!m) {
    return {
      kind: 'malformed',
      detail: `names ${JSON.stringify(path.slice(0, 120))} as its shared chains; expected shared/iptables/<sha256>.txt`,
    };
  }
  const orders: ChainOrder[] = [];
  while (text.startsWith(SHARED_ORDER_MARKER, pos)) {
    const line = next().slice(SHARED_ORDER_MARKER.length);
    const o = ORDER_LINE.exec(line);
    const order = o ? decodeOrder(o[3] as string) : undefined;
    if (!o || !order)
      return {
        kind: 'malformed',
        detail: `malformed chain order line ${JSON.stringify(line.slice(0, 120))}`,
      };
    orders.push({ table: o[1] as string, chain: o[2] as string, order });
  }
  return { kind: 'ref', path, sha256: m[1] as string, orders };
}
