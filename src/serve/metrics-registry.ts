/**
 * `/metrics`: netdoctor's view of the cluster network as Prometheus gauges, plus the process's
 * own (memory, CPU, event loop). One registry per controller, never prom-client's global one,
 * so two servers in one process (the tests) do not share series. Every report replaces the
 * previous report's series: a resolved root cause disappears instead of lingering at its last value.
 */
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { INTAKE_OUTCOMES, type IntakeOutcome } from './agent-intake.ts';
import type { AgentState } from './agent-merge.ts';
import type { MetricValues } from './metrics-values.ts';

const MISNAMED_DEFAULTS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

export interface AnalysisTiming {
  /** Epoch ms of the attempt's end. */
  at: number;
  durationMs: number;
  ok: boolean;
}

export class ServeMetrics {
  readonly registry = new Registry();
  readonly #verdict = this.#gauge(
    'netdoctor_verdict',
    'The served verdict: 1 for the current one, 0 otherwise',
    ['verdict'],
  );
  readonly #stale = this.#gauge(
    'netdoctor_report_stale',
    '1 while the latest analysis failed and the served report is the last good one',
  );
  readonly #rootCause = this.#gauge(
    'netdoctor_root_cause',
    'A root cause present in the served report (1), by category and subject',
    ['category', 'subject_kind', 'subject_namespace', 'subject'],
  );
  readonly #rootCauses = this.#gauge(
    'netdoctor_root_causes',
    'Root causes in the served report, by category',
    ['category'],
  );
  readonly #findings = this.#gauge('netdoctor_findings', 'Findings in the served report, by severity', [
    'severity',
  ]);
  readonly #unexplained = this.#gauge(
    'netdoctor_unexplained_symptoms',
    'Symptoms in the served report that no root cause explains',
  );
  readonly #gaps = this.#gauge('netdoctor_gaps', 'Parts of the cluster the served report could not collect');
  readonly #nodesKnown = this.#gauge('netdoctor_nodes_known', 'Nodes in the served report');
  readonly #nodesCollected = this.#gauge(
    'netdoctor_nodes_collected',
    'Nodes whose datapath the served report read',
  );
  readonly #probes = this.#gauge(
    'netdoctor_probe_results',
    'Probe results in the served report, by scenario and outcome',
    ['scenario', 'outcome'],
  );
  readonly #pairLoss = this.#gauge(
    'netdoctor_probe_pair_loss_ratio',
    'Pod-to-pod loss between two nodes (0..1): ping packets where measured, else failed probes',
    ['from_node', 'to_node'],
  );
  readonly #pairRtt = this.#gauge(
    'netdoctor_probe_pair_rtt_seconds',
    'Mean pod-to-pod round trip between two nodes',
    ['from_node', 'to_node'],
  );
  readonly #pairUnexpected = this.#gauge(
    'netdoctor_probe_pair_unexpected',
    'Pod-to-pod probes between two nodes whose outcome was not the expected one',
    ['from_node', 'to_node'],
  );
  readonly #incidentsOpen = this.#gauge(
    'netdoctor_incidents_open',
    'Incidents (root causes) open in the history',
  );
  readonly #lastAttempt = this.#gauge(
    'netdoctor_last_analysis_timestamp_seconds',
    'When the latest analysis attempt ended (Unix time)',
  );
  readonly #lastSuccess = this.#gauge(
    'netdoctor_last_success_timestamp_seconds',
    'When the latest successful analysis ended (Unix time)',
  );
  readonly #lastDuration = this.#gauge(
    'netdoctor_last_analysis_duration_seconds',
    'How long the latest analysis attempt took',
  );
  readonly #analyses = new Counter({
    name: 'netdoctor_analyses_total',
    help: 'Analysis attempts, by result',
    labelNames: ['result'],
    registers: [this.registry],
  });

  readonly #agentReporting = this.#gauge(
    'netdoctor_agent_reporting',
    "1 when the node's agent sent a summary recently, 0 when it is silent (its node is unknown)",
    ['node'],
  );
  readonly #agentAge = this.#gauge(
    'netdoctor_agent_report_age_seconds',
    "Time since the node's agent last sent a summary",
    ['node'],
  );
  readonly #summaries = new Counter({
    name: 'netdoctor_agent_reports_received_total',
    help: 'Summaries agents sent to the controller, by outcome',
    labelNames: ['outcome'],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    // prom-client names these gauges with a counter's `_total` suffix, which promtool's lint
    // (and Prometheus' naming rules) reject; the handle and request counts are not worth it.
    for (const name of MISNAMED_DEFAULTS) this.registry.removeSingleMetric(name);
    // Both results exist from the start, so rate() over a fresh controller is not empty.
    this.#analyses.inc({ result: 'ok' }, 0);
    this.#analyses.inc({ result: 'error' }, 0);
  }

  /** Replaces the report-derived series with `v`. */
  setReport(v: MetricValues): void {
    for (const [verdict, on] of Object.entries(v.verdict)) this.#verdict.set({ verdict }, on);
    this.#stale.set(v.stale);
    this.#rootCause.reset();
    this.#rootCauses.reset();
    const byCategory = new Map<string, number>();
    for (const rc of v.rootCauses) {
      this.#rootCause.set(
        {
          category: rc.category,
          subject_kind: rc.subjectKind,
          subject_namespace: rc.subjectNamespace,
          subject: rc.subject,
        },
        1,
      );
      byCategory.set(rc.category, (byCategory.get(rc.category) ?? 0) + 1);
    }
    for (const [category, n] of byCategory) this.#rootCauses.set({ category }, n);
    for (const [severity, n] of Object.entries(v.findings)) this.#findings.set({ severity }, n);
    this.#unexplained.set(v.unexplained);
    this.#gaps.set(v.gaps);
    this.#nodesKnown.set(v.nodesTotal);
    this.#nodesCollected.set(v.nodesCollected);
    this.#probes.reset();
    for (const p of v.probes) this.#probes.set({ scenario: p.scenario, outcome: p.status }, p.count);
    this.#pairLoss.reset();
    this.#pairRtt.reset();
    this.#pairUnexpected.reset();
    for (const p of v.pairs) {
      const labels = { from_node: p.from, to_node: p.to };
      this.#pairLoss.set(labels, p.loss);
      this.#pairUnexpected.set(labels, p.unexpected);
      if (p.rttMs !== undefined) this.#pairRtt.set(labels, p.rttMs / 1000);
    }
  }

  setAnalysis(t: AnalysisTiming): void {
    this.#lastAttempt.set(t.at / 1000);
    this.#lastDuration.set(t.durationMs / 1000);
    if (t.ok) this.#lastSuccess.set(t.at / 1000);
    this.#analyses.inc({ result: t.ok ? 'ok' : 'error' });
  }

  /** Replaces the per-node agent series (only a controller taking summaries calls it). */
  setAgents(states: readonly AgentState[]): void {
    this.#agentReporting.reset();
    this.#agentAge.reset();
    for (const a of states) {
      this.#agentReporting.set({ node: a.node }, a.state === 'reporting' ? 1 : 0);
      if (a.ageMs !== undefined) this.#agentAge.set({ node: a.node }, a.ageMs / 1000);
    }
  }

  /** Counts one delivery; every outcome exists from the first, so rate() is never empty. */
  summaryReceived(outcome: IntakeOutcome | undefined): void {
    if (outcome === undefined) for (const o of INTAKE_OUTCOMES) this.#summaries.inc({ outcome: o }, 0);
    else this.#summaries.inc({ outcome });
  }

  setOpenIncidents(n: number): void {
    this.#incidentsOpen.set(n);
  }

  #gauge(name: string, help: string, labelNames: string[] = []): Gauge {
    return new Gauge({ name, help, labelNames, registers: [this.registry] });
  }
}
