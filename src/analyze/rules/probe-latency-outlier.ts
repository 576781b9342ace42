import type { Evidence, Finding } from '../../core/model.ts';
import {
  latencyCells,
  latencyOutliers,
  NOISE_FLOOR_MS,
  OUTLIER_RATIO,
  type PairLatency,
} from '../latency.ts';
import type { Rule } from '../rule.ts';
import { makeFinding } from './support/datapath.ts';
import { needsProbes, probeView } from './support/probes.ts';

/** How many of the slow pairs a finding quotes. */
const EVIDENCE_PAIRS = 4;

/**
 * Pod-to-pod round trips through one node, or between two nodes, far slower than the rest of
 * the cluster's: a congested or rate-limited uplink, a noisy neighbour, a path that leaves the
 * zone. Connectivity checks pass, so nothing else names it, yet every request through it pays.
 * The threshold is relative to the cluster's own pairs (see latency.ts).
 */
export const probeLatencyOutlier: Rule = {
  id: 'probe-latency-outlier',
  layer: 'node',
  needs: { probes: true },
  title: 'Pod-to-pod latency far above the rest of the cluster',
  why: 'A node or link that answers many times slower than its peers slows every request through it while every connectivity check still passes.',
  appliesTo: (ctx) => needsProbes(ctx, ['pod-to-pod-icmp']),
  run: (ctx): Finding[] => {
    const cells = latencyCells(probeView(ctx).results);
    const out = latencyOutliers(cells);
    const findings: Finding[] = [];
    for (const n of out.nodes) {
      findings.push(
        makeFinding(
          probeLatencyOutlier,
          { kind: 'Node', name: n.node },
          {
            severity: 'warning',
            summary: `pod traffic to and from ${n.node} takes ${ms(n.fastestMs)} or more per round trip, against ${ms(n.baselineMs)} between the other nodes`,
            evidence: [
              ...pairEvidence(n.pairs),
              {
                source: 'probes/results.json',
                observed: `the fastest of ${n.pairs.length} pairs through ${n.node} took ${ms(n.fastestMs)}; pairs without it: median ${ms(n.baselineMs)}`,
                expected: threshold(n.baselineMs),
              },
            ],
            cause: {
              category: 'network.latency-outlier',
              confidence: 0.75,
              remediation: [],
              basis: 'probes',
            },
            nextCommands: [`kubectl describe node ${n.node}`],
          },
        ),
      );
    }
    for (const p of out.pairs) {
      const [a, b] = p.nodes;
      findings.push(
        makeFinding(
          probeLatencyOutlier,
          { kind: 'Node', name: a },
          {
            severity: 'warning',
            detail: b,
            summary: `pod traffic between ${a} and ${b} takes ${ms(p.minMs)} or more per round trip, against ${ms(p.baselineMs)} for the other pairs`,
            evidence: [
              ...pairEvidence(p.cells),
              {
                source: 'probes/results.json',
                observed: `${a} <-> ${b}: ${ms(p.minMs)} at best; every other pair: median ${ms(p.baselineMs)}; both nodes are normal with their other peers`,
                expected: threshold(p.baselineMs),
              },
            ],
            cause: {
              category: 'network.latency-outlier',
              confidence: 0.7,
              remediation: [],
              basis: 'probes',
              nodes: [a, b],
            },
          },
        ),
      );
    }
    return findings;
  },
};

function pairEvidence(cells: readonly PairLatency[]): Evidence[] {
  return cells.slice(0, EVIDENCE_PAIRS).map((c) => ({
    source: 'probes/results.json',
    observed: `${c.from} -> ${c.to}: min/avg/max ${ms(c.minMs)}/${ms(c.avgMs)}/${ms(c.maxMs)}, ${c.received} of ${c.sent} answered`,
  }));
}

function threshold(baselineMs: number): string {
  return `under ${ms(Math.max(OUTLIER_RATIO * baselineMs, baselineMs + NOISE_FLOOR_MS))} (${OUTLIER_RATIO}x the others, and at least ${NOISE_FLOOR_MS} ms more)`;
}

function ms(v: number | undefined): string {
  if (v === undefined) return '?';
  return v < 10 ? `${v.toFixed(2)} ms` : `${v.toFixed(1)} ms`;
}
