import type { Finding, SymptomKind } from '../core/model.ts';
import type { ProbeResult } from '../core/probe-types.ts';
import { type RuleRef, symptomFinding } from './finding.ts';
import type { RuleContext } from './rule.ts';

/** Whether a queried name is the cluster's own (`*.svc`, `*.cluster.local`, `svc.namespace`). */
export function isClusterDnsName(name: string | undefined, namespaces: ReadonlySet<string>): boolean {
  if (!name) return true;
  const n = name.replace(/\.$/, '').toLowerCase();
  if (/\.cluster\.local$/.test(n) || /\.svc(\.|$)/.test(n) || !n.includes('.')) return true;
  const labels = n.split('.');
  return labels.length === 2 && namespaces.has(labels[1] as string);
}

/** A probe that should have passed and did not. */
export function unexpectedFailure(p: ProbeResult): boolean {
  return p.expect === 'pass' && p.outcome.status === 'fail';
}

const KIND: Record<'dns-udp' | 'dns-tcp', SymptomKind> = {
  'dns-udp': 'dns-udp-failed',
  'dns-tcp': 'dns-tcp-failed',
};

/**
 * Groups failed DNS probes by source node and protocol. A finding's nodes are the source and,
 * for a query sent to a CoreDNS pod, that pod's node; for one sent to the DNS Service, the
 * nodes of every CoreDNS pod, since any of them may have been picked.
 */
export function dnsProbeSymptoms(rule: RuleRef, ctx: RuleContext, external: boolean): Finding[] {
  const results = ctx.snapshot.probes?.results ?? [];
  const namespaces = new Set(ctx.snapshot.cluster.namespaces.map((n) => n.metadata.name));
  const dnsIp = ctx.index.dnsService?.spec.clusterIP;
  const corednsNodes = ctx.index.corednsPods.map((p) => p.spec.nodeName).filter((n): n is string => !!n);
  const groups = new Map<
    string,
    { from: string | undefined; scenario: 'dns-udp' | 'dns-tcp'; failed: ProbeResult[]; total: number }
  >();
  for (const p of results) {
    if (p.scenario !== 'dns-udp' && p.scenario !== 'dns-tcp') continue;
    if (isClusterDnsName(p.to.name, namespaces) === external) continue;
    const key = `${p.from.node ?? ''}|${p.scenario}`;
    let g = groups.get(key);
    if (!g) {
      g = { from: p.from.node, scenario: p.scenario, failed: [], total: 0 };
      groups.set(key, g);
    }
    g.total++;
    if (unexpectedFailure(p)) g.failed.push(p);
  }
  const out: Finding[] = [];
  for (const g of groups.values()) {
    if (g.failed.length === 0) continue;
    const nodes = new Set<string>(g.from ? [g.from] : []);
    for (const p of g.failed) {
      const target = p.to.ip ? ctx.index.podByIp.get(p.to.ip) : undefined;
      if (target?.spec.nodeName) nodes.add(target.spec.nodeName);
      else if (p.to.node) nodes.add(p.to.node);
      else if (!p.to.ip || p.to.ip === dnsIp) for (const n of corednsNodes) nodes.add(n);
    }
    const errors = [
      ...new Set(g.failed.map((p) => (p.outcome.status === 'fail' ? p.outcome.error : p.outcome.status))),
    ].join(', ');
    const proto = g.scenario === 'dns-udp' ? 'UDP' : 'TCP';
    const what = external ? 'external names' : 'cluster names';
    out.push(
      symptomFinding(
        rule,
        {
          subject: g.from ? { kind: 'Node', name: g.from } : { kind: 'Cluster', name: 'cluster' },
          detail: g.scenario,
          severity: 'error',
          summary: `DNS over ${proto} for ${what} fails from ${g.from ?? 'the probes'}: ${g.failed.length} of ${g.total} queries (${errors})`,
          evidence: g.failed.slice(0, 5).map((p) => ({
            source: `probes/results.json#${p.id}`,
            observed: `${p.to.name ?? '?'} via ${p.to.ip ?? p.to.pod ?? '?'}: ${p.outcome.status === 'fail' ? `${p.outcome.error}${p.outcome.detail ? ` (${p.outcome.detail})` : ''}` : p.outcome.status}`,
            expected: 'an answer',
          })),
        },
        { kind: KIND[g.scenario], nodes: [...nodes] },
      ),
    );
  }
  return out;
}
