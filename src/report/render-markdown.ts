/**
 * DIAGNOSIS-REPORT.md: the whole diagnosis as a document a person can paste into a ticket.
 * Cluster data goes into code spans or escaped text, never raw, because markdown viewers render
 * embedded HTML.
 */
import type { Evidence, Report, RootCause, RuleOutcome } from '../core/model.ts';
import { markdownCode as code, escapeMarkdown as esc, markdownFence } from './escape.ts';
import {
  LATENCY_GRID_MAX_NODES,
  latencyCell,
  latencyDetail,
  latencyLabel,
  latencySummary,
  notableLatency,
} from './latency-view.ts';
import type { RenderOptions } from './render-options.ts';
import {
  clusterLine,
  coverageDetails,
  coverageSummary,
  describeSubject,
  explainedFindings,
  findingsByLayer,
  formatConfidence,
  formatMs,
  formatSeverityCounts,
  isProbeResults,
  matrixCell,
  nextCommandsFor,
  notableProbes,
  outcomeDetail,
  PATTERN_SIGNAL_COUNT,
  type ProbeMatrix,
  patternSignals,
  plural,
  probeCounts,
  probeDetail,
  probeLabel,
  probeMatrices,
  probeResults,
  routeListing,
  ruleCounts,
  severityCounts,
} from './report-view.ts';

const VERDICT_BADGE: Record<Report['verdict'], string> = {
  healthy: '🟢 HEALTHY',
  degraded: '🟠 DEGRADED',
  broken: '🔴 BROKEN',
  inconclusive: '⚪ INCONCLUSIVE',
};

/** Renders DIAGNOSIS-REPORT.md. */
export function renderMarkdown(report: Report, _opts: RenderOptions = {}): string {
  const sections = [
    header(report),
    rootCauses(report),
    pattern(report),
    probes(report),
    routes(report),
    latency(report),
    findings(report),
    unexplained(report),
    coverage(report),
    rules(report),
    gaps(report),
  ];
  return `${sections.join('\n\n')}\n`;
}

function header(report: Report): string {
  const counts = formatSeverityCounts(severityCounts(report.findings));
  const lines = [
    '# netdoctor diagnosis report',
    '',
    `**Verdict: ${VERDICT_BADGE[report.verdict]}** — ${plural(report.rootCauses.length, 'root cause')} · ` +
      `${plural(report.findings.length, 'finding')}${counts === '' ? '' : ` (${counts})`} · ` +
      `${plural(report.gaps.length, 'gap')}`,
    '',
    '| | |',
    '|---|---|',
  ];
  const cluster = clusterLine(report);
  if (cluster !== undefined) lines.push(`| Cluster | ${esc(cluster)} |`);
  lines.push(`| Generated | ${esc(report.generatedAt)} |`);
  lines.push(`| Snapshot | ${esc(report.meta.createdAt)} (${esc(report.meta.source)}) |`);
  lines.push(`| netdoctor | ${esc(report.meta.netdoctorVersion)} |`);
  if (report.meta.description !== undefined) lines.push('', `> ${esc(report.meta.description)}`);
  return lines.join('\n');
}

function rootCauses(report: Report): string {
  if (report.rootCauses.length === 0) {
    return '## Root causes\n\nNone: no root cause was found. The network looks healthy from every check that ran.';
  }
  const parts = ['## Root causes'];
  report.rootCauses.forEach((rc, i) => {
    parts.push(rootCause(report, rc, i + 1));
  });
  parts.push(
    `Review the repair plan with ${code('netdoctor fix --dry-run')}; nothing changes until you apply it.`,
  );
  return parts.join('\n\n');
}

function rootCause(report: Report, rc: RootCause, n: number): string {
  const lines = [
    `### ${n}. ${code(rc.category)} — ${esc(describeSubject(rc.subject))}`,
    '',
    `**Confidence:** ${formatConfidence(rc.confidence)} · **Finding:** ${code(rc.finding)}`,
    '',
    esc(rc.summary),
    '',
    '**Evidence**',
    '',
    evidenceTable(rc.evidence),
    '',
  ];
  // A traced cause shows a path that dies at it, hop by hop (report.json keeps a few).
  const t = report.findings.find((f) => f.id === rc.finding)?.traces?.[0];
  if (t) lines.push(`**Trace** of ${code(t.probe)} (${t.direction}):`, '', markdownFence(t.hops, 'text'), '');
  const explained = explainedFindings(report, rc);
  if (explained.length === 0) {
    lines.push('**Explains:** no other finding.');
  } else {
    lines.push(`**Explains** (${plural(explained.length, 'finding')}):`, '');
    for (const { id, finding } of explained) {
      lines.push(
        finding === undefined
          ? `- ${code(id)} (finding not in this report)`
          : `- ${esc(finding.summary)} — ${code(id)}`,
      );
    }
  }
  lines.push('');
  lines.push(
    rc.remediation.length === 0
      ? '**Remediation:** no automatic repair; see the next commands.'
      : `**Remediation steps:** ${rc.remediation.map((s) => code(s)).join(', ')}`,
  );
  const commands = nextCommandsFor(report, rc);
  if (commands.length > 0) lines.push('', '**Next commands**', '', markdownFence(commands, 'sh'));
  return lines.join('\n');
}

function evidenceTable(evidence: readonly Evidence[]): string {
  if (evidence.length === 0) return '_No evidence recorded._';
  const rows = evidence.map(
    (e) =>
      `| ${code(e.source, true)} | ${code(e.observed, true)} | ${e.expected === undefined ? '—' : code(e.expected, true)} |`,
  );
  return ['| Source | Observed | Expected |', '|---|---|---|', ...rows].join('\n');
}

function pattern(report: Report): string {
  const p = report.pattern;
  const lines = [
    '## Pattern score',
    '',
    `**${p.score}/${PATTERN_SIGNAL_COUNT} — ${p.match}** (the cascading failure of CNI, DNS and kube-proxy: ` +
      '4 or more signals confirm it, 2–3 are a partial match, 0–1 none)',
    '',
  ];
  lines.push('| Signal | Present |', '|---|---|');
  for (const s of patternSignals(p)) lines.push(`| ${esc(s.label)} | ${s.present ? '✓' : '—'} |`);
  return lines.join('\n');
}

function probes(report: Report): string {
  if (!isProbeResults(report.probes))
    return '## Probe matrix\n\nNo probes ran (probe pods were not created).';
  const results = probeResults(report);
  const c = probeCounts(results);
  const parts = [
    '## Probe matrix',
    `${plural(c.total, 'probe')}: ${c.pass} pass, ${c.fail} fail, ${c.skipped} skipped, ${c.error} error. ` +
      `Started ${esc(report.probes.startedAt)}, took ${formatMs(report.probes.durationMs)}. ` +
      'Rows are source nodes, columns destinations; a probe meant to be blocked passes when it is.',
  ];
  for (const m of probeMatrices(report)) parts.push(probeMatrix(m));
  return parts.join('\n\n');
}

function probeMatrix(m: ProbeMatrix): string {
  const lines = [
    `### ${esc(m.scenario)}`,
    '',
    `| from \\ to | ${m.columns.map((c) => esc(c)).join(' | ')} |`,
    `|---|${m.columns.map(() => '---').join('|')}|`,
  ];
  for (const row of m.rows) {
    const cells = m.columns.map((col) => {
      const here = matrixCell(m, row, col);
      return here.length === 0 ? ' ' : esc(here.map(probeLabel).join(', '));
    });
    lines.push(`| **${esc(row)}** | ${cells.join(' | ')} |`);
  }
  const { shown, more } = notableProbes(m);
  if (shown.length > 0) {
    lines.push('');
    for (const r of shown) lines.push(`- ${code(probeDetail(r))}`);
    if (more > 0) lines.push(`- … and ${more} more (all of them are in report.json)`);
  }
  return lines.join('\n');
}

function routes(report: Report): string {
  const m = report.routeMatrix;
  if (m === undefined) return '## Route matrix\n\nNot available: no node route tables were collected.';
  return [
    '## Route matrix',
    m.onlyProblems === true
      ? `${plural(m.nodes.length, 'node')}: only the routes with a problem are listed; every other node reaches every pod subnet.`
      : 'How each node reaches every pod subnet (`✓` routed, `✗` missing or wrong):',
    routeListing(m).length === 0 ? 'No route problems.' : markdownFence(routeListing(m)),
  ].join('\n\n');
}

function latency(report: Report): string {
  const m = report.latencyMatrix;
  if (m === undefined) return '## Latency matrix\n\nNot available: no pod-to-pod ping measured round trips.';
  const parts = [
    '## Latency matrix',
    `${esc(latencySummary(m))}. Rows are source nodes, columns destinations; each cell is the minimum round trip (\`!\` marks an outlier).`,
  ];
  if (m.nodes.length <= LATENCY_GRID_MAX_NODES) {
    const lines = [
      `| from \\ to | ${m.nodes.map((n) => esc(n)).join(' | ')} |`,
      `|---|${m.nodes.map(() => '---').join('|')}|`,
    ];
    for (const from of m.nodes) {
      const cells = m.nodes.map((to) => {
        const c = latencyCell(m, from, to);
        return c === undefined ? ' ' : esc(latencyLabel(c));
      });
      lines.push(`| **${esc(from)}** | ${cells.join(' | ')} |`);
    }
    parts.push(lines.join('\n'));
  }
  const notable = notableLatency(m);
  if (notable.length > 0) parts.push(notable.map((c) => `- ${code(latencyDetail(c))}`).join('\n'));
  return parts.join('\n\n');
}

function findings(report: Report): string {
  if (report.findings.length === 0) return '## Findings by layer\n\nNo findings.';
  const parts = ['## Findings by layer'];
  for (const group of findingsByLayer(report.findings)) {
    const lines = [`### ${group.layer} (${group.findings.length})`, ''];
    for (const f of group.findings) {
      lines.push(
        `- **${f.severity.toUpperCase()}** ${esc(f.summary)} — ${esc(describeSubject(f.subject))} · ${code(f.id)}`,
      );
      for (const e of f.evidence) {
        const expected = e.expected === undefined ? '' : ` (expected ${code(e.expected)})`;
        lines.push(`  - ${code(e.source)}: ${code(e.observed)}${expected}`);
      }
      if (f.cause !== undefined) {
        lines.push(
          `  - cause candidate: ${code(f.cause.category)} at ${formatConfidence(f.cause.confidence)}` +
            `${f.cause.nodes === undefined || f.cause.nodes.length === 0 ? '' : ` on ${esc(f.cause.nodes.join(', '))}`}`,
        );
      }
    }
    parts.push(lines.join('\n'));
  }
  return parts.join('\n\n');
}

function rules(report: Report): string {
  const c = ruleCounts(report);
  const lines = [
    '## Rule outcomes',
    '',
    `${plural(c.total, 'rule')}: ${c.pass} pass, ${c.fail} fail, ${c.skipped} skipped, ${c.error} error.`,
  ];
  if (c.total > 0) {
    lines.push('', '| Rule | Status | Detail |', '|---|---|---|');
    for (const r of report.rules) lines.push(`| ${code(r.rule, true)} | ${r.status} | ${ruleDetail(r)} |`);
  }
  return lines.join('\n');
}

function ruleDetail(r: RuleOutcome): string {
  return outcomeDetail(r, esc, (error) => code(error, true));
}

function unexplained(report: Report): string {
  if (report.unexplained.length === 0)
    return '## Unexplained symptoms\n\nNone: every symptom found is explained by a root cause.';
  const lines = [
    '## Unexplained symptoms',
    '',
    'Symptoms no root cause accounts for: the cluster is not healthy, and the cause lies outside what the rules name.',
    '',
  ];
  for (const u of report.unexplained) lines.push(`- ${esc(u.summary)} (${code(u.finding, true)})`);
  return lines.join('\n');
}

function coverage(report: Report): string {
  const c = report.coverage;
  const lines = [
    '## Coverage',
    '',
    `${esc(coverageSummary(c))}${c.sufficient ? '' : ' — **not enough to call the cluster healthy**'}`,
    '',
  ];
  lines.push(`> ${esc(c.thresholds)}`);
  const details = coverageDetails(c);
  if (details.length > 0) {
    lines.push('');
    for (const d of details) lines.push(`- ${esc(d)}`);
  }
  return lines.join('\n');
}

function gaps(report: Report): string {
  if (report.gaps.length === 0) return '## Gaps\n\nNone: everything netdoctor looks at was collected.';
  const lines = [
    '## Gaps',
    '',
    'What could not be collected or parsed; conclusions that needed it are weaker or absent.',
    '',
    '| Collector | Node | Reason | Detail |',
    '|---|---|---|---|',
  ];
  for (const g of report.gaps) {
    lines.push(
      `| ${code(g.collector, true)} | ${g.node === undefined ? '—' : esc(g.node)} | ${g.reason} | ${g.detail === undefined ? '' : esc(g.detail)} |`,
    );
  }
  return lines.join('\n');
}
