import type { Evidence, Finding } from '../../core/model.ts';
import type { ProbeResult } from '../../core/probe-types.ts';
import type { Rule } from '../rule.ts';
import { makeFinding } from './support/datapath.ts';
import {
  describeProbe,
  failedProbe,
  needsProbes,
  POD_TO_POD,
  pairKey,
  passedProbe,
  probeSource,
  probeView,
  ranProbe,
} from './support/probes.ts';

function push(m: Map<string, ProbeResult[]>, k: string, r: ProbeResult): void {
  const l = m.get(k);
  if (l) l.push(r);
  else m.set(k, [r]);
}

function ev(rs: ProbeResult[], max = 4): Evidence[] {
  return rs.slice(0, max).map((r) => ({ source: probeSource(r), observed: describeProbe(r) }));
}

/**
 * Pod-to-pod probes, split the way seed 002 and seed 004 read them: failures between pods on
 * the same node (bridge, veth) versus failures only across nodes (routes, overlay).
 */
export const probePodToPodFailed: Rule = {
  id: 'probe-pod-to-pod-failed',
  layer: 'policy',
  needs: { probes: true },
  title: 'Pod-to-pod probes, same node and across nodes',
  why: 'Whether pods fail on the same node or only across nodes tells the bridge apart from routes and the overlay; the pair of nodes involved tells which node to look at.',
  appliesTo: (ctx) => needsProbes(ctx, POD_TO_POD),
  run: (ctx): Finding[] => {
    const v = probeView(ctx);
    const results = POD_TO_POD.flatMap((s) => v.byScenario.get(s) ?? []).filter(ranProbe);
    const same = new Map<string, ProbeResult[]>();
    const cross = new Map<string, ProbeResult[]>();
    const unknown = new Map<string, ProbeResult[]>();
    for (const r of results) {
      const a = r.from.node;
      const b = r.to.node;
      if (a && b && a === b) push(same, a, r);
      else if (a && b) push(cross, pairKey(a, b), r);
      else push(unknown, a ?? b ?? '?', r);
    }
    const sameOk = (n: string) => (same.get(n) ?? []).some(passedProbe);
    const out: Finding[] = [];
    for (const [node, rs] of [...same].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const bad = rs.filter(failedProbe);
      if (bad.length === 0) continue;
      out.push(
        makeFinding(
          probePodToPodFailed,
          { kind: 'Node', name: node },
          {
            severity: 'error',
            detail: 'same-node',
            summary: `pods on ${node} cannot reach each other (${bad.length} of ${rs.length} same-node probes failed)`,
            evidence: ev(bad),
            symptom: { kind: 'same-node-failed', nodes: [node] },
          },
        ),
      );
    }
    for (const [key, rs] of [...cross].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const bad = rs.filter(failedProbe);
      if (bad.length === 0) continue;
      const [a, b] = key.split('|') as [string, string];
      const evidence = ev(bad);
      const okSides = [a, b].filter(sameOk);
      if (okSides.length > 0)
        evidence.push({
          source: 'probes/results.json',
          observed: `same-node probes pass on ${okSides.join(' and ')}`,
        });
      out.push(
        makeFinding(
          probePodToPodFailed,
          { kind: 'Node', name: a },
          {
            severity: 'error',
            detail: b,
            summary: `pods on ${a} and ${b} cannot reach each other across nodes (${bad.length} of ${rs.length} probes failed)${okSides.length === 2 ? ', while same-node traffic works on both' : ''}`,
            evidence,
            symptom: { kind: 'cross-node-failed', nodes: [a, b] },
          },
        ),
      );
    }
    for (const [node, rs] of [...unknown].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const bad = rs.filter(failedProbe);
      if (bad.length === 0) continue;
      const subject =
        node === '?'
          ? ({ kind: 'Cluster', name: 'cluster' } as const)
          : ({ kind: 'Node', name: node } as const);
      out.push(
        makeFinding(probePodToPodFailed, subject, {
          severity: 'error',
          detail: 'unplaced',
          summary: `${bad.length} pod-to-pod probes${node === '?' ? '' : ` involving ${node}`} failed`,
          evidence: ev(bad),
          symptom: { kind: 'pod-to-pod-failed', nodes: node === '?' ? [] : [node] },
        }),
      );
    }
    return out;
  },
};
