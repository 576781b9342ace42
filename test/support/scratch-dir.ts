/**
 * Temporary directories for a test file (fix audit logs and backups, written bundles), removed
 * when the test file's process exits, whether its tests passed or not: a run leaves /tmp as it
 * found it.
 */
import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];

/** A new empty directory under the system temp dir, named `<prefix>XXXXXX`. */
export async function scratchDir(prefix: string): Promise<string> {
  if (made.length === 0)
    process.once('exit', () => {
      for (const d of made) rmSync(d, { recursive: true, force: true });
    });
  const dir = await mkdtemp(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}
