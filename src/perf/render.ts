/**
 * The perf report as text (a table per pair, for a terminal), markdown (for a ticket) and JSON
 * (the PerfReport as is, for scripts). Pure.
 */
import type { DirectionSummary, PerfPairResult, PerfReport, PerfTestResult } from './types.ts';

/** The formats `perf -o` prints. */
export const PERF_FORMATS = ['text', 'json', 'md'] as const;
export type PerfFormat = (typeof PERF_FORMATS)[number];

/** The report in one format, ending with a newline. */
export function renderPerf(report: PerfReport, format: PerfFormat): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(report, null, 2)}\n`;
    case 'md':
      return renderMarkdown(report);
    case 'text':
      return renderText(report);
  }
}

const mbps = (n: number | undefined): string => (n === undefined ? '-' : n.toFixed(1));
const pct = (n: number | undefined): string => (n === undefined ? '-' : `${n.toFixed(2)} %`);
const ms = (n: number | undefined): string => (n === undefined ? '-' : n.toFixed(3));
const count = (n: number | undefined): string => (n === undefined ? '-' : String(n));
const both = (a: string, b: string): string => (a === '-' && b === '-' ? '-' : `${a} / ${b}`);

function cost(d: DirectionSummary): string {
  return d.overlayCost.status === 'measured' ? `${d.overlayCost.percent.toFixed(1)} %` : '-';
}

const HEADERS = [
  'direction',
  'pod Mbit/s',
  'host Mbit/s',
  'overlay cost',
  'TCP retransmits pod / host',
  'UDP loss pod / host',
  'UDP jitter ms pod / host',
];

function cells(d: DirectionSummary): string[] {
  return [
    `${d.sender} -> ${d.receiver}`,
    mbps(d.podMbps),
    mbps(d.hostMbps),
    cost(d),
    both(count(d.podRetransmits), count(d.hostRetransmits)),
    both(pct(d.podUdpLossPercent), pct(d.hostUdpLossPercent)),
    both(ms(d.podUdpJitterMs), ms(d.hostUdpJitterMs)),
  ];
}

function problems(tests: readonly PerfTestResult[]): string[] {
  return tests.flatMap((t) =>
    t.outcome.status === 'ok'
      ? []
      : [
          `${t.id} (${t.sender} -> ${t.receiver}): ${t.outcome.status === 'error' ? t.outcome.error : `skipped, ${t.outcome.reason}`}`,
        ],
  );
}

/** UDP's target rates, which the table leaves out: they explain the loss figures. */
function udpRates(p: PerfPairResult): string {
  const rates = p.tests.flatMap((t) =>
    t.outcome.status === 'ok' && t.outcome.figures.protocol === 'udp'
      ? [`${t.id} ${t.outcome.figures.targetMbps} Mbit/s`]
      : [],
  );
  return rates.length > 0 ? `UDP sent at: ${rates.join(', ')}` : '';
}

function header(r: PerfReport): string {
  const n = r.pairs.length;
  return `netdoctor perf: ${n} pair${n === 1 ? '' : 's'}, ${r.testSeconds} s per test, ${(r.durationMs / 1000).toFixed(0)} s in all`;
}

function footer(r: PerfReport): string[] {
  const out: string[] = [];
  if (r.leftOut.length > 0)
    out.push(
      `${r.leftOut.length} more pair(s) not measured (--limit): ${r.leftOut.map((p) => `${p.from}<->${p.to}`).join(', ')}`,
    );
  for (const s of r.skippedNodes) out.push(`node ${s.node} not measured: ${s.reason}`);
  out.push(
    'overlay cost = (host - pod) / host of TCP throughput: the share of the underlay’s bandwidth the pod network loses',
  );
  return out;
}

function renderText(r: PerfReport): string {
  const lines = [header(r), ''];
  for (const p of r.pairs) {
    lines.push(`${p.from} <-> ${p.to}`);
    const rows = [HEADERS, ...p.summary.map(cells)];
    const widths = HEADERS.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
    for (const row of rows)
      lines.push(
        `  ${row
          .map((c, i) => c.padEnd(widths[i] ?? 0))
          .join('  ')
          .trimEnd()}`,
      );
    const rates = udpRates(p);
    if (rates) lines.push(`  ${rates}`);
    for (const e of problems(p.tests)) lines.push(`  ✗ ${e}`);
    lines.push('');
  }
  lines.push(...footer(r));
  return `${lines.join('\n')}\n`;
}

const mdCell = (s: string): string => s.replaceAll('|', '\\|').replaceAll('\n', ' ');

function renderMarkdown(r: PerfReport): string {
  const lines = [`# ${header(r)}`, ''];
  for (const p of r.pairs) {
    lines.push(`## ${p.from} ⇄ ${p.to}`, '');
    lines.push(`| ${HEADERS.join(' | ')} |`, `|${HEADERS.map(() => '---').join('|')}|`);
    for (const d of p.summary) lines.push(`| ${cells(d).map(mdCell).join(' | ')} |`);
    lines.push('');
    const rates = udpRates(p);
    if (rates) lines.push(rates, '');
    const errs = problems(p.tests);
    if (errs.length > 0) {
      lines.push('Tests without figures:', '');
      for (const e of errs) lines.push(`- ${mdCell(e)}`);
      lines.push('');
    }
  }
  for (const f of footer(r)) lines.push(`${f}  `);
  return `${lines.join('\n')}\n`;
}
