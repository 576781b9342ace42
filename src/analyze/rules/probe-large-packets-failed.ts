import type { Finding } from '../../core/model.ts';
import type { ProbeResult } from '../../core/probe-types.ts';
import type { Rule } from '../rule.ts';
import { makeFinding } from './support/datapath.ts';
import {
  describeProbe,
  failedProbe,
  needsProbes,
  pairKey,
  passedProbe,
  probeSource,
  probeView,
  ranProbe,
} from './support/probes.ts';

/** MTU probes: small don't-fragment packets pass between two nodes and larger ones do not. */
export const probeLargePacketsFailed: Rule = {
  id: 'probe-large-packets-failed',
  layer: 'overlay',
  needs: { cluster: ['nodes'], probes: true },
  title: 'Large packets across nodes',
  why: 'When small packets pass and full-size ones vanish, connections hang after the handshake; the cause is an MTU that ignores encapsulation, not the application.',
  appliesTo: (ctx) => needsProbes(ctx, ['mtu']),
  run: (ctx): Finding[] => {
    const v = probeView(ctx);
    const groups = new Map<string, ProbeResult[]>();
    for (const r of v.byScenario.get('mtu') ?? []) {
      if (!ranProbe(r) || r.size === undefined) continue;
      const k = pairKey(r.from.node ?? '?', r.to.node ?? r.to.name ?? r.to.ip ?? '?');
      const l = groups.get(k);
      if (l) l.push(r);
      else groups.set(k, [r]);
    }
    const smallOk = new Set<string>();
    for (const s of ['pod-to-pod-icmp', 'pod-to-pod-tcp'] as const) {
      for (const r of v.byScenario.get(s) ?? []) {
        if (passedProbe(r) && r.from.node && r.to.node) smallOk.add(pairKey(r.from.node, r.to.node));
      }
    }
    const out: Finding[] = [];
    for (const [key, rs] of [...groups].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const failed = rs.filter(failedProbe);
      if (failed.length === 0) continue;
      const minFail = Math.min(...failed.map((r) => r.size!));
      const pass = rs.filter((r) => passedProbe(r) && r.size! < minFail).sort((a, b) => b.size! - a.size!)[0];
      if (!pass && !smallOk.has(key)) continue;
      const [a, b] = key.split('|') as [string, string];
      const evidence = [
        ...(pass ? [{ source: probeSource(pass), observed: describeProbe(pass) }] : []),
        ...failed.slice(0, 3).map((r) => ({ source: probeSource(r), observed: describeProbe(r) })),
      ];
      if (!pass)
        evidence.push({
          source: 'probes/results.json',
          observed: `pod-to-pod probes between ${a} and ${b} pass`,
        });
      const nodes = [a, b].filter((n) => n !== '?' && ctx.index.nodeByName.has(n));
      out.push(
        makeFinding(
          probeLargePacketsFailed,
          { kind: 'Node', name: a },
          {
            severity: 'error',
            detail: b,
            summary: `packets of ${minFail} bytes with don't-fragment fail between ${a} and ${b}${pass ? ` while ${pass.size} bytes pass` : ' while small packets pass'}`,
            evidence,
            symptom: { kind: 'large-packets-failed', nodes },
          },
        ),
      );
    }
    return out;
  },
};
