import type { Finding, Report, RuleOutcome, Snapshot } from '../core/model.ts';
import { LAYERS } from '../core/model.ts';
import { correlate } from './correlate.ts';
import { severityRank } from './finding.ts';
import { patternScore } from './pattern.ts';
import { buildRouteMatrix } from './route-matrix.ts';
import type { Rule, RuleContext } from './rule.ts';
import { RULES } from './rules/index.ts';
import { buildIndex } from './snapshot-index.ts';
import { verdictOf } from './verdict.ts';

export interface AnalyzeOptions {
  /** The rules to run; every registered rule by default. */
  rules?: Rule[];
  /** The report's generation time; the current time by default. */
  now?: Date;
}

function errorText(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

/** Runs one rule; a skip or a throw becomes its outcome, never an exception. */
export function runRule(rule: Rule, ctx: RuleContext): { outcome: RuleOutcome; findings: Finding[] } {
  try {
    const applies = rule.appliesTo?.(ctx) ?? { applies: true };
    if (!applies.applies)
      return { outcome: { rule: rule.id, status: 'skipped', reason: applies.reason }, findings: [] };
    const findings = rule.run(ctx);
    const notable = findings.filter((f) => f.severity !== 'info');
    if (notable.length === 0) return { outcome: { rule: rule.id, status: 'pass' }, findings };
    return { outcome: { rule: rule.id, status: 'fail', findings: notable.map((f) => f.id) }, findings };
  } catch (e) {
    return { outcome: { rule: rule.id, status: 'error', error: errorText(e) }, findings: [] };
  }
}

/** Most severe first, then lowest layer, then id, so reports are stable. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    severityRank(a.severity) - severityRank(b.severity) ||
    LAYERS.indexOf(a.layer) - LAYERS.indexOf(b.layer) ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}

/**
 * Analyzes a snapshot: builds the index once, runs every applicable rule, correlates causes
 * with symptoms, scores the seed-001 pattern, draws the route matrix and decides the verdict.
 * Pure: the same snapshot and options give the same report.
 */
export function analyze(snapshot: Snapshot, opts: AnalyzeOptions = {}): Report {
  const rules = opts.rules ?? RULES;
  const ctx: RuleContext = { snapshot, index: buildIndex(snapshot) };
  const outcomes: RuleOutcome[] = [];
  const findings: Finding[] = [];
  const ids = new Set<string>();
  for (const rule of rules) {
    const r = runRule(rule, ctx);
    outcomes.push(r.outcome);
    for (const f of r.findings) {
      let id = f.id;
      for (let n = 2; ids.has(id); n++) id = `${f.id}#${n}`;
      ids.add(id);
      findings.push(id === f.id ? f : { ...f, id });
    }
  }
  findings.sort(compareFindings);
  const rootCauses = correlate(findings);
  const pattern = patternScore(findings);
  const report: Report = {
    schemaVersion: 1,
    generatedAt: (opts.now ?? new Date()).toISOString(),
    verdict: verdictOf(rootCauses, findings, pattern),
    pattern,
    rootCauses,
    findings,
    probes: snapshot.probes ?? {},
    gaps: snapshot.gaps,
    rules: outcomes,
    meta: snapshot.meta,
  };
  if (ctx.index.nodeNames.length > 0) report.routeMatrix = buildRouteMatrix(snapshot, ctx.index);
  return report;
}
