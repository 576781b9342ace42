/**
 * The node-by-node probe view of a report, for the dashboard's heatmap and the per-pair metrics.
 * Pod-to-pod probes are the ones that say whether one node's pods reach another's; ping
 * statistics (the report's latency matrix, or a probe's own) give loss and round trips where
 * they were measured, and the probes' pass/fail against their expectation elsewhere.
 */
import type { Report } from '../core/model.ts';
import type { ProbeResult } from '../core/probe-types.ts';
import { isProbeResults } from '../report/report-view.ts';

const POD_TO_POD = new Set(['pod-to-pod-icmp', 'pod-to-pod-tcp']);

/** One directed node pair. */
export interface ProbePair {
  from: string;
  to: string;
  /** Pod-to-pod probes that ran (passed or failed). */
  probes: number;
  /** Probes whose outcome was not the expected one. */
  unexpected: number;
  /** 0..1: from ping packet counts where measured, else the share of unexpected outcomes. */
  loss: number;
  /** Mean round trip in ms of what answered, when any did. */
  rttMs?: number;
}

export interface ProbeMatrix {
  nodes: string[];
  pairs: ProbePair[];
}

interface Acc {
  probes: number;
  unexpected: number;
  sent: number;
  received: number;
  rttSum: number;
  rttN: number;
}

export function probeMatrix(report: Report): ProbeMatrix {
  const acc = new Map<string, Acc & { from: string; to: string }>();
  const nodes = new Set<string>();
  const at = (from: string, to: string) => {
    const k = `${from}\u0000${to}`;
    let a = acc.get(k);
    if (!a) {
      a = { from, to, probes: 0, unexpected: 0, sent: 0, received: 0, rttSum: 0, rttN: 0 };
      acc.set(k, a);
    }
    nodes.add(from).add(to);
    return a;
  };
  const results: ProbeResult[] = isProbeResults(report.probes) ? report.probes.results : [];
  for (const r of results) {
    if (!POD_TO_POD.has(r.scenario) || !r.from.node || !r.to.node) continue;
    if (r.outcome.status !== 'pass' && r.outcome.status !== 'fail') continue;
    const a = at(r.from.node, r.to.node);
    a.probes++;
    if (r.outcome.status !== r.expect) a.unexpected++;
    if (r.ping) {
      a.sent += r.ping.sent;
      a.received += r.ping.received;
    }
    const rtt = r.ping?.avgMs ?? (r.outcome.status === 'pass' ? r.outcome.rttMs : undefined);
    if (rtt !== undefined) {
      a.rttSum += rtt;
      a.rttN++;
    }
  }
  // The latency matrix, when the report has one, is the analysis's own reading of the pings.
  for (const c of report.latencyMatrix?.cells ?? []) {
    const a = at(c.from, c.to);
    if (a.sent === 0) {
      a.sent = c.sent;
      a.received = c.received;
    }
    if (a.rttN === 0 && c.avgMs !== undefined) {
      a.rttSum = c.avgMs;
      a.rttN = 1;
    }
  }
  const pairs = [...acc.values()]
    .map(
      (a): ProbePair => ({
        from: a.from,
        to: a.to,
        probes: a.probes,
        unexpected: a.unexpected,
        loss:
          a.sent > 0
            ? round((a.sent - a.received) / a.sent)
            : a.probes > 0
              ? round(a.unexpected / a.probes)
              : 0,
        ...(a.rttN > 0 ? { rttMs: round(a.rttSum / a.rttN) } : {}),
      }),
    )
    .sort((x, y) => cmp(x.from, y.from) || cmp(x.to, y.to));
  return { nodes: [...nodes].sort(cmp), pairs };
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
