/**
 * The controller's loop: asks the report source for a report every interval (never two at
 * once), redacts it, records its root causes in the incident history, updates the metrics and
 * tells listeners. A failed round keeps the last report, marked stale; the loop goes on.
 */
import { performance } from 'node:perf_hooks';
import { redactValue } from '../collect/redact/redact.ts';
import type { Report } from '../core/model.ts';
import { renderJson } from '../report/render-json.ts';
import type { HistoryStore } from './history-store.ts';
import type { ServeMetrics } from './metrics-registry.ts';
import { type MetricValues, metricValues } from './metrics-values.ts';
import type { ReportSource } from './report-source.ts';
import { type ReportStatus, staleReport } from './stale-report.ts';

/** What is served now: the report (stale-marked if need be), its JSON, and its status. */
export interface Served {
  report: Report;
  /** `report` as `-o json` prints it, rendered once per change rather than once per request. */
  json: string;
  /** The same on one line, for a server-sent event's data field. */
  compactJson: string;
  status: ReportStatus;
}

export interface ControllerOptions {
  intervalMs: number;
  /** A round that takes longer is reported as failed (the source is not interrupted). */
  roundTimeoutMs: number;
  log: (message: string) => void;
  now?: () => Date;
  /**
   * What is served on top of each analysis (the agents' summaries): applied to every report
   * published, and again on {@link Controller.refresh} without a new analysis.
   */
  compose?: (report: Report, now: Date) => Report;
}

export type Listener = (served: Served) => void;

export class Controller {
  readonly #source: ReportSource;
  readonly #history: HistoryStore;
  readonly #metrics: ServeMetrics;
  readonly #opts: ControllerOptions;
  readonly #now: () => Date;
  readonly #listeners = new Set<Listener>();
  #served: Served | undefined;
  #lastGood: Report | undefined;
  #status: ReportStatus;
  #failures = 0;
  #timer: NodeJS.Timeout | undefined;
  #round: Promise<void> | undefined;
  /** The source's own work, which outlives a round that timed out. */
  #producing: Promise<Report> | undefined;
  #stopped = false;

  constructor(source: ReportSource, history: HistoryStore, metrics: ServeMetrics, opts: ControllerOptions) {
    this.#source = source;
    this.#history = history;
    this.#metrics = metrics;
    this.#opts = opts;
    this.#now = opts.now ?? (() => new Date());
    this.#status = { state: 'waiting', since: this.#now().toISOString() };
    metrics.setReport(metricValues(undefined, this.#status));
    metrics.setOpenIncidents(history.openIncidents().length);
  }

  get served(): Served | undefined {
    return this.#served;
  }

  get status(): ReportStatus {
    return this.#status;
  }

  get history(): HistoryStore {
    return this.#history;
  }

  /** Calls `fn` with every new served report; returns the unsubscribe function. */
  subscribe(fn: Listener): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** Schedules a round every interval from now (the first report comes from {@link runOnce}). */
  start(): void {
    this.#schedule(this.#opts.intervalMs);
  }

  /** Runs one round (tests and the first report use it); resolves when it is applied. */
  runOnce(): Promise<void> {
    this.#round ??= this.#roundOnce().finally(() => {
      this.#round = undefined;
    });
    return this.#round;
  }

  /**
   * Stops scheduling; a round in flight gets `graceMs` to end, and its result is dropped. A live
   * round is not waited for longer: the pods it created have cleanups of their own, which the
   * same signal runs, and a shutdown must fit in the process's grace period.
   */
  async stop(graceMs = 5_000): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.#round, new Promise((done) => (timer = setTimeout(done, graceMs)))]);
    clearTimeout(timer);
    this.#listeners.clear();
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      void this.runOnce().finally(() => this.#schedule(this.#opts.intervalMs));
    }, delayMs);
  }

  async #roundOnce(): Promise<void> {
    const t0 = performance.now();
    try {
      const report = await this.#produce();
      // After stop() the history may be closed already: a late report is not applied.
      if (this.#stopped) return;
      this.#apply(report, performance.now() - t0);
    } catch (err) {
      if (!this.#stopped) this.#fail(err, performance.now() - t0);
    }
  }

  #produce(): Promise<Report> {
    // A source still busy with a timed-out round gets no second one beside it (two live
    // diagnoses would double the agents and probes on every node).
    if (this.#producing) throw new Error('the previous analysis, which timed out, is still running');
    const producing = this.#source.produce();
    this.#producing = producing;
    producing.then(
      () => this.#clearProducing(producing),
      () => this.#clearProducing(producing),
    );
    return withTimeout(producing, this.#opts.roundTimeoutMs);
  }

  #apply(report: Report, durationMs: number): void {
    const at = this.#now();
    // Everything served, stored or exported comes from the redacted report.
    const safe = redactValue(report);
    const status: ReportStatus = {
      state: 'fresh',
      analyzedAt: at.toISOString(),
      durationMs: Math.round(durationMs),
    };
    const served = this.#servedOf(this.#composed(safe, at), status);
    this.#failures = 0;
    this.#lastGood = safe;
    this.#status = status;
    this.#metrics.setAnalysis({ at: at.getTime(), durationMs, ok: true });
    this.#record(served.report, at);
    this.#publish(served);
  }

  /**
   * Recomposes the served report from the last analysis (a summary arrived, or an agent fell
   * silent) and publishes it when it differs from what is served.
   */
  refresh(): void {
    if (this.#stopped || this.#lastGood === undefined || this.#compose === undefined) return;
    const at = this.#now();
    const base = this.#status.state === 'stale' ? staleReport(this.#lastGood, this.#status) : this.#lastGood;
    const served = this.#servedOf(this.#composed(base, at), this.#status);
    if (served.compactJson === this.#served?.compactJson) return;
    this.#record(served.report, at);
    this.#publish(served);
  }

  get #compose(): ControllerOptions['compose'] {
    return this.#opts.compose;
  }

  #composed(report: Report, at: Date): Report {
    return this.#compose ? this.#compose(report, at) : report;
  }

  #record(report: Report, at: Date): void {
    const change = this.#history.record(report.rootCauses, at.toISOString());
    this.#metrics.setOpenIncidents(change.opened.length + change.continued.length);
    for (const i of change.opened) this.#opts.log(`incident opened: ${i.key}`);
    for (const i of change.resolved) this.#opts.log(`incident resolved: ${i.key}`);
  }

  #clearProducing(p: Promise<Report>): void {
    if (this.#producing === p) this.#producing = undefined;
  }

  #fail(err: unknown, durationMs: number): void {
    const at = this.#now();
    const message = redactValue(err instanceof Error ? err.message : String(err));
    this.#failures++;
    this.#metrics.setAnalysis({ at: at.getTime(), durationMs, ok: false });
    this.#opts.log(`analysis failed (${this.#failures} in a row): ${message}`);
    if (!this.#lastGood) {
      this.#status = {
        state: 'waiting',
        since: this.#status.state === 'waiting' ? this.#status.since : at.toISOString(),
        lastError: { at: at.toISOString(), message },
      };
      return;
    }
    const analyzedAt = this.#status.state === 'waiting' ? at.toISOString() : this.#status.analyzedAt;
    this.#status = {
      state: 'stale',
      analyzedAt,
      failedAt: at.toISOString(),
      error: message,
      failures: this.#failures,
    };
    try {
      this.#publish(
        this.#servedOf(this.#composed(staleReport(this.#lastGood, this.#status), at), this.#status),
      );
    } catch (e) {
      this.#opts.log(`the stale report could not be served: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /**
   * Everything derived from a report, computed before anything is replaced: a report that cannot
   * be rendered or measured fails its round instead of leaving half of it served.
   */
  #servedOf(report: Report, status: ReportStatus): Served & { metrics: MetricValues } {
    return {
      report,
      json: renderJson(report),
      compactJson: JSON.stringify(report),
      status,
      metrics: metricValues(report, status),
    };
  }

  #publish(served: Served & { metrics: MetricValues }): void {
    const { metrics, ...rest } = served;
    this.#served = rest;
    this.#metrics.setReport(metrics);
    for (const fn of this.#listeners) {
      try {
        fn(rest);
      } catch (err) {
        this.#opts.log(`a listener failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`the analysis took longer than ${Math.round(ms / 1000)} s`)),
      ms,
    );
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
