import type { Route } from '../core/datapath-types.ts';
import type { RouteCell, RouteMatrix, Snapshot } from '../core/model.ts';
import { cidr4, cidrContainsIp, parseCidr4, parseIPv4 } from '../core/net/ipv4.ts';
import { formatRoute } from '../datapath/format.ts';
import { type RecordDelta, RecordKeys } from './record-delta.ts';
import type { SnapshotIndex } from './snapshot-index.ts';

/** Devices that carry traffic to a peer node's pods: overlays and tunnels of the supported CNIs. */
const OVERLAY_DEV =
  /^(flannel\.\d+|flannel-wg|flannel-v6\.\d+|vxlan\.calico|vxlan-v6\.calico|tunl0|wireguard\.cali|cilium_host|cilium_vxlan|cilium_geneve|cilium_wg0)$/;
/** Devices that carry a node's own pods. */
const LOCAL_DEV = /^(cni0|cbr0|docker0|cilium_host|kube-bridge)$/;

/** Above this many nodes only the problem cells are listed (see RouteMatrix.onlyProblems). */
export const FULL_MATRIX_MAX_NODES = 100;

/** A route as the matrix shows it: where it sends packets, nothing more. */
function showRoute(r: Route): string {
  return formatRoute(r, { where: false, details: false });
}

function isMainTable(r: Route): boolean {
  return r.table === undefined || r.table === 'main' || r.table === '254';
}

/** Which node owns an address: as its InternalIP, or inside its pod subnet. */
export type AddressOwner = (ip: string) => string | undefined;

/** How a route to `peer`'s pod subnet reaches it; a gateway that belongs to another node is wrong. */
export function classifyPeerRoute(
  r: Route,
  peer: string,
  peerCidr: string,
  owner: AddressOwner,
): 'ok' | 'wrong' {
  if (r.type === 'blackhole' || r.type === 'unreachable' || r.type === 'prohibit') return 'wrong';
  const gwOwner = r.gateway ? owner(r.gateway) : undefined;
  if (gwOwner !== undefined) return gwOwner === peer ? 'ok' : 'wrong';
  if (r.gateway) {
    const c = parseCidr4(peerCidr);
    const gw = parseIPv4(r.gateway);
    if (c && gw !== undefined && cidrContainsIp(c, gw)) return 'ok';
  }
  return r.dev && OVERLAY_DEV.test(r.dev) ? 'ok' : 'wrong';
}

function addressOwner(index: SnapshotIndex, nodeByCidr: Map<string, string>): AddressOwner {
  const byIp = new Map<string, string>();
  for (const [node, ip] of index.internalIpByNode) byIp.set(ip, node);
  const prefixes = new Set<number>();
  for (const cidr of index.podCidrByNode.values()) {
    const c = parseCidr4(cidr);
    if (c) prefixes.add(c.prefix);
  }
  const memo = new Map<string, string | undefined>();
  return (ip) => {
    const direct = byIp.get(ip);
    if (direct !== undefined) return direct;
    if (memo.has(ip)) return memo.get(ip);
    let owner: string | undefined;
    const addr = parseIPv4(ip.trim());
    if (addr !== undefined) {
      for (const p of prefixes) {
        owner = nodeByCidr.get(cidr4(addr, p).text);
        if (owner !== undefined) break;
      }
    }
    memo.set(ip, owner);
    return owner;
  };
}

function routeCell(
  from: string,
  to: string,
  r: Route | undefined,
  index: SnapshotIndex,
  owner: AddressOwner,
): RouteCell {
  if (to === from) {
    const cell: RouteCell = { from, to, state: 'local' };
    if (r) {
      cell.route = showRoute(r);
      if (!(r.dev && LOCAL_DEV.test(r.dev)) || r.gateway) cell.state = 'wrong';
    }
    return cell;
  }
  if (!r) return { from, to, state: 'missing' };
  const state = classifyPeerRoute(r, to, index.podCidrByNode.get(to) as string, owner);
  return { from, to, state, route: showRoute(r) };
}

/**
 * Draws the route matrix one node at a time, so that streaming analysis never holds more than
 * one node's routes: `addNode` for every node whose datapath is read, then `finish`.
 */
export class RouteMatrixBuilder {
  readonly #index: SnapshotIndex;
  readonly #full: boolean;
  readonly #nodeByCidr = new Map<string, string>();
  readonly #owner: AddressOwner;
  readonly #withCidr: string[];
  readonly #rows = new Map<string, RouteCell[]>();

  constructor(index: SnapshotIndex, opts: { fullMaxNodes?: number } = {}) {
    this.#index = index;
    this.#full = index.nodeNames.length <= (opts.fullMaxNodes ?? FULL_MATRIX_MAX_NODES);
    for (const [node, cidr] of index.podCidrByNode) {
      const c = parseCidr4(cidr);
      this.#nodeByCidr.set(c ? c.text : cidr, node);
    }
    this.#owner = addressOwner(index, this.#nodeByCidr);
    this.#withCidr = index.nodeNames.filter((n) => index.podCidrByNode.has(n));
    for (const [i, n] of this.#withCidr.entries()) this.#withCidrPos.set(n, i);
    this.#cidrNodes = [...new Set(this.#nodeByCidr.values())];
    for (const [i, n] of this.#cidrNodes.entries()) this.#keyOfNode.set(n, i);
  }

  /**
   * {@link classifyPeerRoute}, once per route object: nodes read from shared records hold the same
   * route to each peer, and the answer depends only on the route and the cluster.
   */
  readonly #classified = new WeakMap<Route, 'ok' | 'wrong'>();
  #classify(r: Route, to: string): 'ok' | 'wrong' {
    let c = this.#classified.get(r);
    if (c === undefined) {
      c = classifyPeerRoute(r, to, this.#index.podCidrByNode.get(to) as string, this.#owner);
      this.#classified.set(r, c);
    }
    return c;
  }

  /** The node whose pod subnet a main-table route leads to, once per route object. */
  readonly #peers = new WeakMap<Route, string | null>();
  #peerOf(r: Route): string | undefined {
    let to = this.#peers.get(r);
    if (to === undefined) {
      to = !isMainTable(r)
        ? null
        : (this.#nodeByCidr.get(r.dst) ??
          (r.dst.includes('/') ? undefined : this.#nodeByCidr.get(parseCidr4(r.dst)?.text ?? '')) ??
          null);
      this.#peers.set(r, to);
    }
    return to ?? undefined;
  }

  /**
   * Main-table routes by the node whose pod subnet they lead to (a position in `#cidrNodes`), so
   * that a row read from shared records is drawn from its base once and per node only where
   * the node's routes differ (record-delta.ts).
   */
  readonly #cidrNodes: string[];
  readonly #keyOfNode = new Map<string, number>();
  readonly #keys = new RecordKeys<Route>((r) => {
    const to = this.#peerOf(r);
    return to === undefined ? -1 : (this.#keyOfNode.get(to) ?? -1);
  });
  readonly #withCidrPos = new Map<string, number>();

  /** The nodes a base has routes to, those whose first route is not 'ok', and those with a pod subnet it has none to. */
  readonly #baseRows = new WeakMap<
    readonly Route[],
    { found: ReadonlySet<number>; notOk: readonly number[]; none: readonly string[] }
  >();
  #baseRow(base: readonly Route[]) {
    let b = this.#baseRows.get(base);
    if (!b) {
      const found = new Set(this.#keys.baseKeys(base));
      const notOk: number[] = [];
      for (const k of found) {
        const first = this.#keys.baseRecordsOf(base, k)[0] as Route;
        if (this.#classify(first, this.#cidrNodes[k] as string) !== 'ok') notOk.push(k);
      }
      const none = this.#withCidr.filter((n) => {
        const k = this.#keyOfNode.get(n);
        return k === undefined || !found.has(k);
      });
      b = { found, notOk, none };
      this.#baseRows.set(base, b);
    }
    return b;
  }

  /** One node's row; nodes that are not cluster nodes, or already added, are ignored. */
  addNode(from: string, routes: readonly Route[] | undefined): void {
    if (!routes || !this.#index.nodeByName.has(from) || this.#rows.has(from)) return;
    const delta = this.#full ? undefined : this.#keys.delta(routes);
    this.#rows.set(from, delta ? this.#problemRow(from, delta) : this.#row(from, routes));
  }

  #row(from: string, routes: readonly Route[]): RouteCell[] {
    const index = this.#index;
    const full = this.#full;
    const owner = this.#owner;
    const withCidr = this.#withCidr;
    const found = new Map<string, Route>();
    for (const r of routes) {
      const to = this.#peerOf(r);
      if (to !== undefined && !found.has(to)) found.set(to, r);
    }
    const cells: RouteCell[] = [];
    const peersMissing = found.size < withCidr.length - (found.has(from) ? 0 : 1);
    const targets = full || peersMissing ? withCidr : [...found.keys()];
    for (const to of targets) {
      const r = found.get(to);
      if (!full && r && to !== from && this.#classify(r, to) === 'ok') continue;
      const cell = routeCell(from, to, r, index, owner);
      if (full || (cell.state !== 'ok' && cell.state !== 'local')) cells.push(cell);
    }
    return cells;
  }

  /**
   * {@link #row} of the problem cells for a node whose routes are runs of a shared base: the
   * same cells in the same order, looking only at the nodes whose first route is not 'ok' on the
   * base, those the node's routes differ from the base for, and the node itself.
   */
  #problemRow(from: string, delta: RecordDelta<Route>): RouteCell[] {
    const b = this.#baseRow(delta.base);
    const first = new Map<number, { at: number; r: Route } | undefined>();
    const firstOf = (k: number | undefined) => {
      if (k === undefined) return undefined;
      if (!first.has(k)) first.set(k, delta.entriesOf(k)[0]);
      return first.get(k);
    };
    let foundSize = b.found.size;
    for (const k of delta.touched) {
      if (b.found.has(k)) foundSize--;
      if (firstOf(k)) foundSize++;
    }
    const fromKey = this.#keyOfNode.get(from);
    const peersMissing = foundSize < this.#withCidr.length - (firstOf(fromKey) ? 0 : 1);
    const keys = new Set<number>(delta.touched);
    for (const k of b.notOk) keys.add(k);
    if (fromKey !== undefined) keys.add(fromKey);
    let targets: string[];
    if (peersMissing) {
      const names = new Set<string>();
      for (const k of keys) names.add(this.#cidrNodes[k] as string);
      for (const n of b.none) {
        const k = this.#keyOfNode.get(n);
        if (k === undefined || !delta.touched.has(k)) names.add(n);
      }
      names.add(from);
      targets = [...names]
        .filter((n) => this.#withCidrPos.has(n))
        .sort((x, y) => (this.#withCidrPos.get(x) as number) - (this.#withCidrPos.get(y) as number));
    } else {
      targets = [...keys]
        .filter((k) => firstOf(k) !== undefined)
        .sort((x, y) => (firstOf(x)?.at as number) - (firstOf(y)?.at as number))
        .map((k) => this.#cidrNodes[k] as string);
    }
    const cells: RouteCell[] = [];
    for (const to of targets) {
      const r = firstOf(this.#keyOfNode.get(to))?.r;
      if (r && to !== from && this.#classify(r, to) === 'ok') continue;
      const cell = routeCell(from, to, r, this.#index, this.#owner);
      if (cell.state !== 'ok' && cell.state !== 'local') cells.push(cell);
    }
    return cells;
  }

  finish(): RouteMatrix {
    const names = this.#index.nodeNames;
    const cells: RouteCell[] = [];
    for (const from of names) {
      const row = this.#rows.get(from);
      if (row) {
        for (const c of row) cells.push(c);
      } else if (this.#full) {
        for (const to of this.#withCidr) cells.push({ from, to, state: 'unknown' });
      } else cells.push({ from, to: from, state: 'unknown' });
    }
    const matrix: RouteMatrix = {
      nodes: names.map((name) => {
        const podCIDR = this.#index.podCidrByNode.get(name);
        return podCIDR ? { name, podCIDR } : { name };
      }),
      cells,
    };
    if (!this.#full) matrix.onlyProblems = true;
    return matrix;
  }
}

/** The whole matrix of an in-memory snapshot. */
export function buildRouteMatrix(
  s: Snapshot,
  index: SnapshotIndex,
  opts: { fullMaxNodes?: number } = {},
): RouteMatrix {
  const b = new RouteMatrixBuilder(index, opts);
  for (const name of index.nodeNames) b.addNode(name, s.nodes[name]?.routes);
  return b.finish();
}
