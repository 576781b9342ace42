/**
 * What the controller serves when the latest analysis failed: the last good report, marked.
 * PRODUCT.md's rule holds here too: what could not be seen is never called healthy, so a stale
 * healthy report becomes inconclusive; a stale degraded or broken one keeps its verdict and its
 * root causes (they were real when last seen) and says it is stale in its shortfalls.
 */
import type { Report } from '../core/model.ts';

/** How the served report relates to the source's latest attempt. */
export type ReportStatus =
  | { state: 'waiting'; since: string; lastError?: { at: string; message: string } }
  | { state: 'fresh'; analyzedAt: string; durationMs: number }
  | {
      state: 'stale';
      /** When the served report was made. */
      analyzedAt: string;
      failedAt: string;
      error: string;
      /** Failed attempts in a row. */
      failures: number;
    };

export function staleReport(report: Report, status: Extract<ReportStatus, { state: 'stale' }>): Report {
  const note = `the latest analysis failed at ${status.failedAt} (${status.failures} in a row: ${status.error}); this report is from ${status.analyzedAt}`;
  return {
    ...report,
    verdict: report.verdict === 'healthy' ? 'inconclusive' : report.verdict,
    coverage: { ...report.coverage, sufficient: false, shortfalls: [note, ...report.coverage.shortfalls] },
  };
}
