/**
 * Bundles as .tar.gz. The archive holds the directory as its single top folder, so unpacking it
 * anywhere gives back the same browsable `netdoctor-YYYYMMDD-HHMMSS/` tree. Reading one back is
 * archive-read.ts.
 */
import { randomBytes } from 'node:crypto';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { create } from 'tar';
import { MANIFEST } from './layout.ts';
import { isSafeRelativePath } from './log-paths.ts';

/**
 * Writes `<dir>.tar.gz` beside the bundle directory from `files`, the bundle-relative paths
 * netdoctor wrote (the manifest's list), and returns its path. Anything else in the directory
 * stays out of the archive. The manifest goes first, so a reader finds it without unpacking
 * the rest; the archive is written under a temporary name and renamed into place, so an
 * interrupted pack never leaves a half archive under the bundle's name.
 */
export async function packBundle(dir: string, files: readonly string[]): Promise<string> {
  const abs = resolve(dir);
  const top = basename(abs);
  const file = `${abs}.tar.gz`;
  const partial = `${file}.partial-${randomBytes(4).toString('hex')}`;
  const members = [MANIFEST, ...files.filter((f) => f !== MANIFEST && isSafeRelativePath(f))].map(
    (f) => `${top}/${f}`,
  );
  try {
    await create(
      { gzip: true, file: partial, cwd: dirname(abs), portable: true, noDirRecurse: true },
      members,
    );
    await rename(partial, file);
  } catch (err) {
    await rm(partial, { force: true });
    throw err;
  }
  return file;
}
