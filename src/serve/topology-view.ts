/**
 * The dashboard's topology: one link per pair of nodes, the overlay path between their pod
 * subnets, judged by what the report knows of it in both directions: the routes each node has
 * to the other's pod subnet (the route matrix) and the pod-to-pod probes between them. A pair
 * nothing was learned about is `unknown`, never `ok`.
 */
import type { Report, RouteCell } from '../core/model.ts';
import type { ProbeMatrix, ProbePair } from './probe-matrix.ts';

/** Worst first: a link takes the worst state either direction shows. */
export const LINK_STATES = ['down', 'degraded', 'unknown', 'ok'] as const;
export type LinkState = (typeof LINK_STATES)[number];

/** The overlay path between two nodes (a, b in name order). */
export interface TopologyLink {
  a: string;
  b: string;
  state: LinkState;
  /** Why, in a few words per direction: missing routes, probe loss. */
  detail: string[];
}

export interface Topology {
  links: TopologyLink[];
  /**
   * Set past {@link TOPOLOGY_FULL_MAX_NODES} nodes, where drawing every pair would bury the
   * picture: only links that are not `ok` are listed, and an absent link is healthy or unknown.
   */
  onlyProblems?: boolean;
}

/** Up to this many nodes every pair is listed; beyond, only the pairs with a problem. */
export const TOPOLOGY_FULL_MAX_NODES = 64;

function worst(a: LinkState, b: LinkState): LinkState {
  return LINK_STATES.indexOf(a) <= LINK_STATES.indexOf(b) ? a : b;
}

function routeState(cell: RouteCell | undefined): LinkState {
  if (!cell) return 'unknown';
  if (cell.state === 'missing' || cell.state === 'wrong') return 'down';
  return cell.state === 'unknown' ? 'unknown' : 'ok';
}

function probeState(p: ProbePair | undefined): LinkState {
  if (!p || p.probes === 0) return 'unknown';
  if (p.loss >= 1) return 'down';
  return p.loss > 0 || p.unexpected > 0 ? 'degraded' : 'ok';
}

/** Every unordered pair, in name order. */
function* allPairs(sorted: readonly string[]): Generator<[string, string]> {
  for (let i = 0; i < sorted.length; i++)
    for (let j = i + 1; j < sorted.length; j++) yield [sorted[i]!, sorted[j]!];
}

/** The pairs a route or a probe shows a problem on, without walking every pair of a large cluster. */
function problemPairs(report: Report, probes: ProbeMatrix): [string, string][] {
  const seen = new Map<string, [string, string]>();
  const add = (x: string, y: string) => {
    if (x === y) return;
    const [a, b] = x < y ? [x, y] : [y, x];
    seen.set(`${a}\u0000${b}`, [a, b]);
  };
  for (const c of report.routeMatrix?.cells ?? []) if (routeState(c) === 'down') add(c.from, c.to);
  for (const p of probes.pairs)
    if (probeState(p) === 'down' || probeState(p) === 'degraded') add(p.from, p.to);
  return [...seen.values()].sort((x, y) => cmp(x[0], y[0]) || cmp(x[1], y[1]));
}

export function topology(report: Report, nodes: readonly string[], probes: ProbeMatrix): Topology {
  const routes = new Map<string, RouteCell>();
  for (const c of report.routeMatrix?.cells ?? []) routes.set(`${c.from}\u0000${c.to}`, c);
  // A matrix that lists only problems says every absent pair is routed.
  const absentRoute: RouteCell['state'] | undefined = report.routeMatrix?.onlyProblems ? 'ok' : undefined;
  const pairs = new Map<string, ProbePair>();
  for (const p of probes.pairs) pairs.set(`${p.from}\u0000${p.to}`, p);
  const sorted = [...nodes].sort();
  const onlyProblems = sorted.length > TOPOLOGY_FULL_MAX_NODES;
  const links: TopologyLink[] = [];
  for (const [a, b] of onlyProblems ? problemPairs(report, probes) : allPairs(sorted)) {
    const known: LinkState[] = [];
    const detail: string[] = [];
    for (const [from, to] of [
      [a, b],
      [b, a],
    ] as const) {
      const k = `${from}\u0000${to}`;
      const cell = routes.get(k) ?? (absentRoute ? { from, to, state: absentRoute } : undefined);
      const r = routeState(cell);
      if (r === 'down') detail.push(`${from} has a ${cell?.state} route to ${to}'s pod subnet`);
      const p = pairs.get(k);
      const s = probeState(p);
      if (p && (s === 'down' || s === 'degraded'))
        detail.push(`${from} → ${to}: ${Math.round(p.loss * 100)}% loss`);
      for (const x of [r, s]) if (x !== 'unknown') known.push(x);
    }
    // What was learned decides; a direction nobody looked at does not make a seen link unknown.
    const state = known.length === 0 ? 'unknown' : known.reduce(worst);
    if (onlyProblems && state === 'ok') continue;
    links.push({ a, b, state, detail });
  }
  return { links, ...(onlyProblems ? { onlyProblems } : {}) };
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
