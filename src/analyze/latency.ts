/**
 * Pod-to-pod latency between nodes, from the ICMP probes' ping statistics: the matrix the report
 * shows, and which nodes or pairs are outliers against the rest of the cluster.
 *
 * The yardstick is the cluster itself, never a fixed number of milliseconds, so the same test
 * holds on a LAN where pairs answer in 0.1 ms and in a cloud region where they take 2 ms. Each
 * pair is judged by its minimum round trip: the minimum is the path's own latency, while the
 * average of a handful of echoes also carries the first packet's neighbour resolution and a
 * busy node's scheduling noise.
 */
import type { LatencyCell, LatencyMatrix } from '../core/model.ts';
import type { ProbeResult } from '../core/probe-types.ts';

/** A pair is an outlier when it takes at least this many times the yardstick... */
export const OUTLIER_RATIO = 3;
/**
 * ...and at least this much more in absolute terms. Below it, differences are timer resolution
 * and scheduler noise on any machine (a sub-millisecond LAN pair "tripling" from 0.05 to 0.15 ms
 * is nothing anyone can act on); above it, the ratio alone decides.
 */
export const NOISE_FLOOR_MS = 1;

/** One directed pair's measurement, as the matrix holds it. */
export type PairLatency = LatencyCell;

/** A node whose every measured pair is slow while pairs without it are not. */
export interface NodeOutlier {
  node: string;
  /** The fastest of its pairs: even that one is an outlier. */
  fastestMs: number;
  /** Median of the pairs that do not involve the node. */
  baselineMs: number;
  pairs: PairLatency[];
}

/** A slow pair whose two nodes are otherwise normal. */
export interface PairOutlier {
  /** The pair's two nodes, sorted. */
  nodes: [string, string];
  /** The faster direction's minimum round trip. */
  minMs: number;
  /** Median of the other pairs (outlier nodes left out). */
  baselineMs: number;
  cells: PairLatency[];
}

export interface LatencyOutliers {
  nodes: NodeOutlier[];
  pairs: PairOutlier[];
}

/** The cross-node ICMP probes' measurements, one cell per directed pair (the last one wins). */
export function latencyCells(results: readonly ProbeResult[]): PairLatency[] {
  const byPair = new Map<string, PairLatency>();
  for (const r of results) {
    const from = r.from.node;
    const to = r.to.node;
    if (r.scenario !== 'pod-to-pod-icmp' || !r.ping || !from || !to || from === to) continue;
    const { sent, received, minMs, avgMs, maxMs } = r.ping;
    byPair.set(`${from}\u0000${to}`, {
      from,
      to,
      sent,
      received,
      ...(minMs !== undefined ? { minMs } : {}),
      ...(avgMs !== undefined ? { avgMs } : {}),
      ...(maxMs !== undefined ? { maxMs } : {}),
    });
  }
  return [...byPair.values()].sort((a, b) => cmp(a.from, b.from) || cmp(a.to, b.to));
}

/**
 * The latency matrix of the report, outlier cells marked; undefined when no ICMP probe carried
 * ping statistics (older bundles, or no cross-node probe ran).
 */
export function latencyMatrix(results: readonly ProbeResult[]): LatencyMatrix | undefined {
  const cells = latencyCells(results);
  if (cells.length === 0) return undefined;
  const out = latencyOutliers(cells);
  const slow = new Set<PairLatency>([
    ...out.nodes.flatMap((n) => n.pairs),
    ...out.pairs.flatMap((p) => p.cells),
  ]);
  const nodes = [...new Set(cells.flatMap((c) => [c.from, c.to]))].sort(cmp);
  // The yardstick is what the normal pairs take: the outliers would drag a plain median towards
  // themselves (on three nodes, a slow node is in four of the six pairs).
  const normal = answered(cells).filter((c) => !slow.has(c));
  const baseline = median((normal.length > 0 ? normal : answered(cells)).map((c) => c.minMs));
  return {
    nodes,
    cells: cells.map((c) => (slow.has(c) ? { ...c, outlier: true } : { ...c })),
    ...(baseline !== undefined ? { baselineMs: round(baseline) } : {}),
  };
}

/**
 * Which nodes and pairs are outliers. A node is one when even its fastest pair is slow against
 * the pairs that do not involve it (so one slow link does not condemn both its ends); a pair is
 * one when it is slow against every other pair, once the outlier nodes' pairs are set aside.
 * Needs three nodes: with two there is nothing to compare a pair with.
 */
export function latencyOutliers(cells: readonly PairLatency[]): LatencyOutliers {
  const measured = answered(cells);
  const nodes = [...new Set(measured.flatMap((c) => [c.from, c.to]))].sort(cmp);
  const out: LatencyOutliers = { nodes: [], pairs: [] };
  if (nodes.length < 3) return out;
  for (const node of nodes) {
    const mine = measured.filter((c) => c.from === node || c.to === node);
    const others = measured.filter((c) => c.from !== node && c.to !== node);
    const baseline = median(others.map((c) => c.minMs));
    if (mine.length === 0 || baseline === undefined) continue;
    const fastest = Math.min(...mine.map((c) => c.minMs));
    if (isSlow(fastest, baseline))
      out.nodes.push({ node, fastestMs: fastest, baselineMs: baseline, pairs: mine });
  }
  const flagged = new Set(out.nodes.map((n) => n.node));
  const rest = measured.filter((c) => !flagged.has(c.from) && !flagged.has(c.to));
  const pairs = new Map<string, Measured[]>();
  for (const c of rest) {
    const key = [c.from, c.to].sort(cmp).join('\u0000');
    pairs.set(key, [...(pairs.get(key) ?? []), c]);
  }
  for (const [key, pc] of pairs) {
    const baseline = median(rest.filter((c) => !pc.includes(c)).map((c) => c.minMs));
    if (baseline === undefined) continue;
    const fastest = Math.min(...pc.map((c) => c.minMs));
    if (!isSlow(fastest, baseline)) continue;
    const [a, b] = key.split('\u0000') as [string, string];
    out.pairs.push({ nodes: [a, b], minMs: fastest, baselineMs: baseline, cells: pc });
  }
  out.pairs.sort((x, y) => cmp(x.nodes.join(' '), y.nodes.join(' ')));
  return out;
}

type Measured = PairLatency & { minMs: number };

function answered(cells: readonly PairLatency[]): Measured[] {
  return cells.filter((c): c is Measured => c.received > 0 && c.minMs !== undefined);
}

function isSlow(ms: number, baseline: number): boolean {
  return ms >= OUTLIER_RATIO * baseline && ms - baseline >= NOISE_FLOOR_MS;
}

function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
