/**
 * Where `netdoctor serve` gets its reports. The controller only asks a source for the next
 * report on its interval; how the report is made (a live diagnosis, a bundle on disk, later the
 * agents' summaries) stays behind this port, so the server and its tests do not depend on it.
 */
import type { Report } from '../core/model.ts';

export interface ReportSource {
  /** What the source reads, for logs and the dashboard: `bundle /data/b1`, `cluster https://…`. */
  readonly description: string;
  /**
   * Makes one fresh report. Throws when none could be made; the controller then keeps the last
   * report and marks it stale, so a failing source is an observation, not a crash.
   */
  produce(): Promise<Report>;
  /** Releases what the source holds (working directories); called once at shutdown. */
  close(): Promise<void>;
}
