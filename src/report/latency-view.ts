/**
 * What every report format shows of the latency matrix: the cell labels, how hot a cell is
 * against the cluster's baseline, and the one-line summary, computed here once so the text,
 * markdown and HTML reports agree.
 */
import type { LatencyCell, LatencyMatrix } from '../core/model.ts';

/** Beyond this many nodes a grid stops being readable; the summary and the outliers remain. */
export const LATENCY_GRID_MAX_NODES = 40;

/**
 * How a cell compares with the baseline: `ok` near it, `warm` noticeably above (half way to an
 * outlier), `hot` an outlier, `lossy` some echoes unanswered, `down` none answered.
 */
export type LatencyHeat = 'ok' | 'warm' | 'hot' | 'lossy' | 'down';

export function latencyHeat(c: LatencyCell, baselineMs: number | undefined): LatencyHeat {
  if (c.received === 0) return 'down';
  if (c.outlier === true) return 'hot';
  if (c.received < c.sent) return 'lossy';
  if (baselineMs !== undefined && baselineMs > 0 && c.minMs !== undefined && c.minMs >= 2 * baselineMs)
    return 'warm';
  return 'ok';
}

/** `0.08 ms` style, with precision where it matters. */
export function formatRtt(ms: number | undefined): string {
  if (ms === undefined) return '?';
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 100) return `${ms.toFixed(1)} ms`;
  return `${Math.round(ms)} ms`;
}

/** A cell's short label: the minimum round trip, and the loss when there was any. */
export function latencyLabel(c: LatencyCell): string {
  if (c.received === 0) return `✗ 0/${c.sent}`;
  const loss = c.received < c.sent ? ` ${c.sent - c.received}/${c.sent} lost` : '';
  return `${formatRtt(c.minMs)}${loss}${c.outlier === true ? ' !' : ''}`;
}

/** A cell's full reading, for tooltips and lists. */
export function latencyDetail(c: LatencyCell): string {
  const rtt =
    c.received === 0
      ? 'no answer'
      : `min/avg/max ${formatRtt(c.minMs)} / ${formatRtt(c.avgMs)} / ${formatRtt(c.maxMs)}`;
  return `${c.from} -> ${c.to}: ${rtt}, ${c.received} of ${c.sent} answered${c.outlier === true ? ' (outlier)' : ''}`;
}

/** The cell for a directed pair, if it was measured. */
export function latencyCell(m: LatencyMatrix, from: string, to: string): LatencyCell | undefined {
  return m.cells.find((c) => c.from === from && c.to === to);
}

/** One line: how many pairs, the baseline, the outliers and the lossy pairs. */
export function latencySummary(m: LatencyMatrix): string {
  const outliers = m.cells.filter((c) => c.outlier === true).length;
  const lossy = m.cells.filter((c) => c.received < c.sent).length;
  const base =
    m.baselineMs === undefined
      ? 'no pair answered'
      : `typical ${formatRtt(m.baselineMs)} (median minimum round trip of the normal pairs)`;
  return `${m.cells.length} node pairs: ${base}; ${outliers} outlier${outliers === 1 ? '' : 's'}, ${lossy} with loss`;
}

/** The cells worth listing under a grid (or instead of one): outliers and lossy pairs. */
export function notableLatency(m: LatencyMatrix): LatencyCell[] {
  return m.cells.filter((c) => c.outlier === true || c.received < c.sent);
}
