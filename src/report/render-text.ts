/**
 * diagnosis-summary.txt and the terminal output of `diagnose` / `analyze`: what a person at 3 a.m.
 * reads first. A verdict line, one line per root cause with its strongest evidence, the counts,
 * and the one command to run next. Everything else is in the full report.
 */
import pc from 'picocolors';
import type { Report, Severity } from '../core/model.ts';
import { latencyDetail, latencySummary, notableLatency } from './latency-view.ts';
import type { RenderOptions } from './render-options.ts';
import {
  clusterLine,
  coverageSummary,
  describeSubject,
  evidenceLine,
  FIX_DRY_RUN,
  formatConfidence,
  isProbeResults,
  PATTERN_SIGNAL_COUNT,
  patternSignals,
  plural,
  probeCounts,
  probeResults,
  routeCounts,
  ruleCounts,
  severityCounts,
} from './report-view.ts';

type Colors = ReturnType<typeof pc.createColors>;

/** Renders the short summary; `{ color: true }` adds ANSI colour (decide with `shouldUseColor`). */
export function renderText(report: Report, opts: RenderOptions = {}): string {
  const c = pc.createColors(opts.color === true);
  const lines: string[] = [verdictLine(report, c)];
  const cluster = clusterLine(report);
  lines.push(c.dim(`${cluster === undefined ? '' : `${cluster} · `}generated ${report.generatedAt}`));

  lines.push('');
  if (report.rootCauses.length === 0) {
    lines.push(c.green('No root cause found.'));
  } else {
    lines.push(c.bold(`Root causes (${report.rootCauses.length})`));
    report.rootCauses.forEach((rc, i) => {
      lines.push(
        `  ${i + 1}. ${c.bold(rc.category)}  ${describeSubject(rc.subject)}  ${c.dim(formatConfidence(rc.confidence))}`,
      );
      lines.push(`     ${rc.summary}`);
      const top = rc.evidence[0];
      if (top !== undefined) lines.push(c.dim(`     evidence: ${summaryLine(evidenceLine(lastLines(top)))}`));
      const fix = rc.remediation.length === 0 ? 'no automatic repair' : `fix: ${rc.remediation.join(', ')}`;
      lines.push(c.dim(`     explains ${plural(rc.explains.length, 'finding')} · ${fix}`));
    });
  }

  if (report.unexplained.length > 0) {
    lines.push('');
    lines.push(c.bold(`Unexplained symptoms (${report.unexplained.length})`));
    for (const u of report.unexplained) lines.push(`  - ${summaryLine(u.summary)}`);
  }
  if (report.verdict === 'inconclusive') {
    lines.push('');
    lines.push(c.bold('Too little was seen to call the cluster healthy:'));
    for (const s of report.coverage.shortfalls) lines.push(`  - ${s}`);
  }

  lines.push('');
  lines.push(...countLines(report, c));

  lines.push('');
  lines.push(nextLine(report, c));
  return `${lines.join('\n')}\n`;
}

function verdictLine(report: Report, c: Colors): string {
  const label = report.verdict.toUpperCase();
  const painted =
    report.verdict === 'healthy'
      ? c.green(c.bold(label))
      : report.verdict === 'degraded' || report.verdict === 'inconclusive'
        ? c.yellow(c.bold(label))
        : c.red(c.bold(label));
  return `netdoctor: ${painted} — ${plural(report.rootCauses.length, 'root cause')}, ${plural(report.findings.length, 'finding')}, ${plural(report.gaps.length, 'gap')}`;
}

const SEVERITY_PAINT: Record<Severity, (c: Colors, s: string) => string> = {
  critical: (c, s) => c.red(c.bold(s)),
  error: (c, s) => c.red(s),
  warning: (c, s) => c.yellow(s),
  info: (c, s) => c.dim(s),
};

function countLines(report: Report, c: Colors): string[] {
  const label = (s: string): string => s.padEnd(9);
  const sev = severityCounts(report.findings);
  const sevText = (Object.keys(sev) as Severity[])
    .map((s) => SEVERITY_PAINT[s](c, `${sev[s]} ${s}`))
    .join(', ');
  const lines = [`${label('Findings')}${report.findings.length} (${sevText})`];
  const cov = coverageSummary(report.coverage);
  lines.push(`${label('Coverage')}${report.coverage.sufficient ? cov : c.yellow(cov)}`);

  if (isProbeResults(report.probes)) {
    const p = probeCounts(probeResults(report));
    const fail = p.fail > 0 ? c.red(`${p.fail} fail`) : `${p.fail} fail`;
    lines.push(
      `${label('Probes')}${p.total} (${p.pass} pass, ${fail}, ${p.skipped} skipped, ${p.error} error)`,
    );
  } else {
    lines.push(`${label('Probes')}none ran`);
  }
  if (report.routeMatrix !== undefined) {
    const r = routeCounts(report.routeMatrix);
    const bad = r.missing + r.wrong;
    const badText = bad > 0 ? c.red(`${bad} missing or wrong`) : '0 missing or wrong';
    lines.push(
      report.routeMatrix.onlyProblems === true
        ? `${label('Routes')}${badText}, ${r.unknown} unknown (problems only, ${report.routeMatrix.nodes.length} nodes)`
        : `${label('Routes')}${r.ok} routed, ${r.local} local, ${badText}, ${r.unknown} unknown`,
    );
  }
  if (report.latencyMatrix !== undefined) {
    const m = report.latencyMatrix;
    const summary = latencySummary(m);
    const bad = notableLatency(m).length > 0;
    lines.push(`${label('Latency')}${bad ? c.yellow(summary) : summary}`);
    for (const cell of m.cells.filter((x) => x.outlier === true).slice(0, 3))
      lines.push(c.dim(`         ${latencyDetail(cell)}`));
  }
  const rc = ruleCounts(report);
  const err = rc.error > 0 ? c.yellow(`${rc.error} error`) : `${rc.error} error`;
  lines.push(
    `${label('Rules')}${rc.total} (${rc.pass} pass, ${rc.fail} fail, ${rc.skipped} skipped, ${err})`,
  );
  const fired = patternSignals(report.pattern)
    .filter((s) => s.present)
    .map((s) => s.label);
  lines.push(
    `${label('Pattern')}${report.pattern.score}/${PATTERN_SIGNAL_COUNT} (${report.pattern.match})${fired.length === 0 ? '' : `: ${fired.join(', ')}`}`,
  );
  if (report.gaps.length > 0) {
    const names = report.gaps.map(
      (g) => `${g.collector}${g.node === undefined ? '' : `@${g.node}`} (${g.reason})`,
    );
    lines.push(`${label('Gaps')}${c.yellow(names.join(', '))}`);
  }
  return lines;
}

function nextLine(report: Report, c: Colors): string {
  if (report.rootCauses.some((rc) => rc.remediation.length > 0)) return `Next: ${c.cyan(FIX_DRY_RUN)}`;
  if (report.rootCauses.length > 0)
    return `Next: ${c.cyan('see DIAGNOSIS-REPORT.md for the evidence and commands')}`;
  if (report.verdict === 'inconclusive')
    return `Next: ${c.cyan('see the coverage section of DIAGNOSIS-REPORT.md for what could not be seen, and why')}`;
  if (report.findings.some((f) => f.severity !== 'info'))
    return `Next: ${c.cyan('review the findings in DIAGNOSIS-REPORT.md')}`;
  return `Next: ${c.cyan('nothing to repair')}`;
}

/**
 * Evidence can be a log excerpt; in a summary its last line is the telling one (the line a
 * rule matched comes last), so multi-line values are cut to it.
 */
function lastLines(e: { source: string; observed: string; expected?: string }): typeof e {
  const last = (v: string): string => {
    const lines = v.split(/\r?\n/).filter((l) => l.trim() !== '');
    return lines.length > 1 ? `… ${lines.at(-1)?.trim() ?? ''}` : v;
  };
  return e.expected === undefined
    ? { source: e.source, observed: last(e.observed) }
    : { source: e.source, observed: last(e.observed), expected: last(e.expected) };
}

/** Keeps a summary line to a readable length; the full text is in the report. */
const SUMMARY_LINE_MAX = 240;
function summaryLine(s: string): string {
  return s.length <= SUMMARY_LINE_MAX ? s : `${s.slice(0, SUMMARY_LINE_MAX - 1)}…`;
}
