/**
 * Probe-result lookups for the symptom rules and for corroborating cause rules: what failed
 * against its expectation, grouped by node and by node pair, built once per snapshot.
 */
import type { Snapshot } from '../../../core/model.ts';
import type { ProbeResult, ProbeScenario } from '../../../core/probe-types.ts';
import type { Applicability, RuleContext } from '../../rule.ts';

/** A probe that should have passed and failed. */
export function failedProbe(r: ProbeResult): boolean {
  return r.expect === 'pass' && r.outcome.status === 'fail';
}

/** A probe that should have passed and did. */
export function passedProbe(r: ProbeResult): boolean {
  return r.expect === 'pass' && r.outcome.status === 'pass';
}

/** A probe that ran and whose outcome can be judged (not skipped, not errored). */
export function ranProbe(r: ProbeResult): boolean {
  return r.outcome.status === 'pass' || r.outcome.status === 'fail';
}

/** Evidence line for a probe. */
export function describeProbe(r: ProbeResult): string {
  const from = r.from.pod ? `${r.from.pod}@${r.from.node ?? '?'}` : (r.from.node ?? '?');
  const to = r.to.name ?? r.to.ip ?? r.to.pod ?? '?';
  const toNode = r.to.node ? `@${r.to.node}` : '';
  const port = r.to.port !== undefined ? `:${r.to.port}` : '';
  const size = r.size !== undefined ? ` size ${r.size}` : '';
  const o = r.outcome;
  const res =
    o.status === 'fail'
      ? `FAIL (${o.error}${o.detail ? `: ${o.detail}` : ''})`
      : o.status === 'pass'
        ? 'pass'
        : o.status === 'skipped'
          ? `skipped (${o.reason})`
          : `error (${o.error})`;
  return `${r.scenario} ${from} -> ${to}${toNode}${port}${size}${r.protocol ? ` ${r.protocol}` : ''}: ${res}`;
}

export function probeSource(r: ProbeResult): string {
  return `probes/results.json#${r.id}`;
}

export const POD_TO_POD: readonly ProbeScenario[] = ['pod-to-pod-icmp', 'pod-to-pod-tcp'];

export interface ProbeView {
  results: ProbeResult[];
  byScenario: Map<ProbeScenario, ProbeResult[]>;
  /** Cross-node pod-to-pod probes (both ends known, different nodes) touching each node. */
  crossByNode: Map<string, ProbeResult[]>;
}

const viewCache = new WeakMap<Snapshot, ProbeView>();
export function probeView(ctx: RuleContext): ProbeView {
  let v = viewCache.get(ctx.snapshot);
  if (v) return v;
  const results = ctx.snapshot.probes?.results ?? [];
  const byScenario = new Map<ProbeScenario, ProbeResult[]>();
  const crossByNode = new Map<string, ProbeResult[]>();
  const add = (n: string, r: ProbeResult) => {
    const l = crossByNode.get(n);
    if (l) l.push(r);
    else crossByNode.set(n, [r]);
  };
  for (const r of results) {
    const l = byScenario.get(r.scenario);
    if (l) l.push(r);
    else byScenario.set(r.scenario, [r]);
    if (POD_TO_POD.includes(r.scenario) && r.from.node && r.to.node && r.from.node !== r.to.node) {
      add(r.from.node, r);
      add(r.to.node, r);
    }
  }
  v = { results, byScenario, crossByNode };
  viewCache.set(ctx.snapshot, v);
  return v;
}

/** Applicability: probes of these scenarios ran. */
export function needsProbes(ctx: RuleContext, scenarios: readonly ProbeScenario[]): Applicability {
  if (!ctx.snapshot.probes) return { applies: false, reason: 'no probes were run' };
  const v = probeView(ctx);
  if (!scenarios.some((s) => (v.byScenario.get(s) ?? []).some(ranProbe))) {
    return { applies: false, reason: `no ${scenarios.join('/')} probe ran` };
  }
  return { applies: true };
}

/** Unordered node-pair key. */
export function pairKey(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

/** Groups the ran probes of some scenarios by source node (`?` when unknown). */
export function bySourceNode(results: ProbeResult[]): Map<string, ProbeResult[]> {
  const m = new Map<string, ProbeResult[]>();
  for (const r of results) {
    if (!ranProbe(r)) continue;
    const k = r.from.node ?? '?';
    const l = m.get(k);
    if (l) l.push(r);
    else m.set(k, [r]);
  }
  return m;
}

/** Nodes a set of probes involves: sources, then destinations, each once, sorted. */
export function involvedNodes(results: ProbeResult[]): string[] {
  const s = new Set<string>();
  for (const r of results) {
    if (r.from.node) s.add(r.from.node);
    if (r.to.node) s.add(r.to.node);
  }
  return [...s].sort();
}
