/**
 * A report source reading a bundle directory (or .tar.gz) on every round: the same analysis as
 * `netdoctor analyze`, so a bundle that is replaced in place (a CronJob's `diagnose --out`, a
 * recorded example) is served as it is now. What the serve tests run against.
 */
import { analyzeBundle } from '../analyze/analyze-bundle.ts';
import type { BundleLimits } from '../collect/bundle/limits.ts';
import type { Report } from '../core/model.ts';
import type { ReportSource } from './report-source.ts';

export class BundleSource implements ReportSource {
  readonly description: string;
  readonly #path: string;
  readonly #limits: Partial<BundleLimits>;

  constructor(path: string, limits: Partial<BundleLimits> = {}) {
    this.#path = path;
    this.#limits = limits;
    this.description = `bundle ${path}`;
  }

  produce(): Promise<Report> {
    return analyzeBundle(this.#path, { now: new Date(), limits: this.#limits });
  }

  async close(): Promise<void> {}
}
