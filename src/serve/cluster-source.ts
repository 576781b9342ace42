/**
 * A report source running netdoctor's own diagnosis (src/diagnose/pipeline.ts, exactly what
 * `netdoctor diagnose` runs) against a cluster on every round; `netdoctor serve` gives it a port
 * whose lists come from informers (cluster/watched-port.ts). Each round writes its bundle into
 * a fresh directory under a private working directory; the previous round's bundle is removed
 * once the new one is analyzed, so the disk holds one bundle (the one being served) at a time.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClusterPort } from '../cluster/port.ts';
import { archivePathFor } from '../collect/bundle/out-dir.ts';
import type { Report } from '../core/model.ts';
import { type DiagnoseOptions, runDiagnosis } from '../diagnose/pipeline.ts';
import type { ReportSource } from './report-source.ts';

/** Every diagnose option but where the bundle goes, which the source decides per round. */
export type ClusterSourceOptions = Omit<DiagnoseOptions, 'outDir'>;

export class ClusterSource implements ReportSource {
  readonly description: string;
  readonly #port: ClusterPort & { stop?: () => Promise<void> };
  readonly #opts: ClusterSourceOptions;
  #workDir: string | undefined;
  #previous: string | undefined;
  #round = 0;

  /** A port with `stop` (informers) is stopped when the source closes. */
  constructor(port: ClusterPort & { stop?: () => Promise<void> }, opts: ClusterSourceOptions) {
    this.#port = port;
    this.#opts = opts;
    this.description = `cluster ${port.target.server}`;
  }

  /** The bundle directory of the report last produced (for people who want the files). */
  get lastBundle(): string | undefined {
    return this.#previous;
  }

  async produce(): Promise<Report> {
    this.#workDir ??= await mkdtemp(join(tmpdir(), 'netdoctor-serve-'));
    const outDir = join(this.#workDir, `round-${++this.#round}`);
    try {
      const result = await runDiagnosis(this.#port, { ...this.#opts, outDir });
      const old = this.#previous;
      this.#previous = outDir;
      if (old) await removeBundle(old);
      return result.report;
    } catch (err) {
      await removeBundle(outDir);
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.#port.stop?.();
    if (this.#workDir) await rm(this.#workDir, { recursive: true, force: true });
  }
}

async function removeBundle(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  await rm(archivePathFor(dir), { force: true });
}
