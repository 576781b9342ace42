/**
 * The values behind `/metrics`, computed from a report and the controller's status. Pure, so
 * the numbers are tested without prom-client; metrics-registry.ts only sets gauges from them.
 */
import { type Report, SEVERITIES, type Severity, VERDICTS, type Verdict } from '../core/model.ts';
import { isProbeResults } from '../report/report-view.ts';
import type { ProbePair } from './probe-matrix.ts';
import { probeMatrix } from './probe-matrix.ts';
import type { ReportStatus } from './stale-report.ts';

/**
 * Past this many nodes only the pairs with loss get a per-pair series: n² series for a large
 * cluster would cost Prometheus more than the fact that a pair is fine is worth.
 */
export const ALL_PAIRS_MAX_NODES = 50;

export interface RootCauseSeries {
  category: string;
  subjectKind: string;
  subjectNamespace: string;
  subject: string;
}

export interface MetricValues {
  /** 1 for the served verdict, 0 for the others; all 0 before a first report. */
  verdict: Record<Verdict, 0 | 1>;
  stale: 0 | 1;
  rootCauses: RootCauseSeries[];
  findings: Record<Severity, number>;
  unexplained: number;
  gaps: number;
  nodesTotal: number;
  nodesCollected: number;
  /** Probe results by scenario and outcome status. */
  probes: { scenario: string; status: string; count: number }[];
  pairs: ProbePair[];
}

export function metricValues(report: Report | undefined, status: ReportStatus): MetricValues {
  const verdict = Object.fromEntries(VERDICTS.map((v) => [v, report?.verdict === v ? 1 : 0])) as Record<
    Verdict,
    0 | 1
  >;
  const findings = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  if (!report)
    return {
      verdict,
      stale: 0,
      rootCauses: [],
      findings,
      unexplained: 0,
      gaps: 0,
      nodesTotal: 0,
      nodesCollected: 0,
      probes: [],
      pairs: [],
    };
  for (const f of report.findings) findings[f.severity]++;
  const byOutcome = new Map<string, { scenario: string; status: string; count: number }>();
  for (const r of isProbeResults(report.probes) ? report.probes.results : []) {
    const k = `${r.scenario}\u0000${r.outcome.status}`;
    const e = byOutcome.get(k) ?? { scenario: r.scenario, status: r.outcome.status, count: 0 };
    e.count++;
    byOutcome.set(k, e);
  }
  const matrix = probeMatrix(report);
  return {
    verdict,
    stale: status.state === 'stale' ? 1 : 0,
    rootCauses: report.rootCauses.map((rc) => ({
      category: rc.category,
      subjectKind: rc.subject.kind,
      subjectNamespace: rc.subject.namespace ?? '',
      subject: rc.subject.name,
    })),
    findings,
    unexplained: report.unexplained.length,
    gaps: report.gaps.length,
    nodesTotal: report.coverage.nodes.total,
    nodesCollected: report.coverage.nodes.collected,
    probes: [...byOutcome.values()],
    pairs: matrix.nodes.length <= ALL_PAIRS_MAX_NODES ? matrix.pairs : matrix.pairs.filter((p) => p.loss > 0),
  };
}
