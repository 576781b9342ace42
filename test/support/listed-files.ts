import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The files a written bundle's manifest lists: what `packBundle` is given after a write. */
export async function listedFiles(dir: string): Promise<string[]> {
  const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as { files: { path: string }[] };
  return m.files.map((f) => f.path);
}
