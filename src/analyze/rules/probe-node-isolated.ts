import type { Finding } from '../../core/model.ts';
import type { Rule } from '../rule.ts';
import { listSome, makeFinding } from './support/datapath.ts';
import {
  describeProbe,
  failedProbe,
  needsProbes,
  POD_TO_POD,
  passedProbe,
  probeSource,
  probeView,
  ranProbe,
} from './support/probes.ts';

/** At least this many distinct peers must have been probed before a node is called isolated. */
const MIN_PEERS = 2;

/**
 * One node's pods fail to every other node, while nodes not involving it talk fine: that node is
 * the common factor (seed 004: only pods scheduled on mac-mini-2 failed).
 */
export const probeNodeIsolated: Rule = {
  id: 'probe-node-isolated',
  layer: 'policy',
  needs: { probes: true },
  title: "One node's pods fail everywhere",
  why: 'When every cross-node probe touching one node fails and the rest pass, the fault lives on that node; looking anywhere else wastes the night.',
  appliesTo: (ctx) => needsProbes(ctx, POD_TO_POD),
  run: (ctx): Finding[] => {
    const v = probeView(ctx);
    const out: Finding[] = [];
    for (const [node, rs] of [...v.crossByNode].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const ran = rs.filter(ranProbe);
      if (ran.length === 0 || !ran.every(failedProbe)) continue;
      const peers = new Set(ran.map((r) => (r.from.node === node ? r.to.node! : r.from.node!)));
      if (peers.size < MIN_PEERS) continue;
      let othersOk = false;
      for (const [other, ors] of v.crossByNode) {
        if (other === node) continue;
        if (ors.some((r) => r.from.node !== node && r.to.node !== node && passedProbe(r))) {
          othersOk = true;
          break;
        }
      }
      if (!othersOk) continue;
      const sorted = [...peers].sort();
      const evidence = ran.slice(0, 4).map((r) => ({ source: probeSource(r), observed: describeProbe(r) }));
      evidence.push({
        source: 'probes/results.json',
        observed: `all ${ran.length} cross-node probes to or from ${node} failed (peers ${listSome(sorted, 6)}); probes between other nodes pass`,
      });
      out.push(
        makeFinding(
          probeNodeIsolated,
          { kind: 'Node', name: node },
          {
            severity: 'error',
            summary: `${node} is the common factor: its pods cannot reach or be reached from any other node`,
            evidence,
            symptom: { kind: 'cross-node-failed', nodes: [node] },
          },
        ),
      );
    }
    return out;
  },
};
