/**
 * Where `diagnose` may write its bundle. The bundle directory is packed into a .tar.gz meant to
 * be attached to tickets, so netdoctor never writes into a directory holding someone's own
 * files (a private key, a .env), never replaces an archive it did not make, and says so before
 * collecting anything rather than after minutes of collection.
 */
import { lstat, readdir, readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { NetdoctorError } from '../../core/errors.ts';
import { readArchiveManifest } from './archive-read.ts';
import { MANIFEST } from './layout.ts';
import { DEFAULT_LIMITS } from './limits.ts';
import { parseManifest } from './manifest.ts';
import { describe } from './safe-read.ts';

/** What the bundle directory is before the write. */
export type OutDirState = { kind: 'new' } | { kind: 'empty' } | { kind: 'earlier-bundle' };

/**
 * The absolute bundle directory for an `--out` value. Throws a usage error (exit 2) for an
 * empty value, which `resolve` would otherwise turn into the current directory.
 */
export function outDirFromFlag(value: string | undefined, fallback: () => string): string {
  if (value === undefined) return resolve(fallback());
  if (value.trim() === '') {
    throw new NetdoctorError('usage', '--out is empty: give the directory the bundle should be written to.', {
      suggestions: ['leave --out out to write ./netdoctor-<timestamp>'],
    });
  }
  return resolve(value);
}

/** The archive written beside a bundle directory. */
export function archivePathFor(dir: string): string {
  return `${resolve(dir)}.tar.gz`;
}

/**
 * Checks that `dir` can take a bundle and `<dir>.tar.gz` can be written: `dir` is absent, an
 * empty directory, or an earlier netdoctor bundle; the archive is absent or an earlier netdoctor
 * archive. Throws NetdoctorError('usage') naming the path otherwise.
 */
export async function checkOutDir(dir: string): Promise<OutDirState> {
  const state = await dirState(dir);
  await checkArchive(archivePathFor(dir));
  return state;
}

async function dirState(dir: string): Promise<OutDirState> {
  const st = await lstat(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw refuse(dir, `it cannot be inspected (${err.code ?? err.message})`);
  });
  if (st === undefined) return { kind: 'new' };
  if (!st.isDirectory()) throw refuse(dir, `it exists and is ${describe(st)}, not a directory`);
  const names = await readdir(dir);
  if (names.length === 0) return { kind: 'empty' };
  if (names.includes(MANIFEST) && (await isBundleManifest(`${dir}/${MANIFEST}`)))
    return { kind: 'earlier-bundle' };
  throw refuse(
    dir,
    'it is a directory that holds other files and is not a netdoctor bundle; they would end up in the shareable archive',
  );
}

async function isBundleManifest(path: string): Promise<boolean> {
  try {
    const st = await lstat(path);
    if (!st.isFile() || st.size > DEFAULT_LIMITS.maxFileBytes) return false;
    parseManifest(await readFile(path, 'utf8'), path);
    return true;
  } catch {
    return false;
  }
}

async function checkArchive(archive: string): Promise<void> {
  const st = await lstat(archive).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw refuse(archive, `it cannot be inspected (${err.code ?? err.message})`);
  });
  if (st === undefined) return;
  if (!st.isFile()) throw refuse(archive, `it exists and is ${describe(st)}`);
  const text = await readArchiveManifest(archive, DEFAULT_LIMITS).catch(() => undefined);
  let ours = false;
  if (text !== undefined) {
    try {
      parseManifest(text, archive);
      ours = true;
    } catch {
      ours = false;
    }
  }
  if (!ours) throw refuse(archive, 'it exists and is not a netdoctor bundle archive, so it is not replaced');
}

function refuse(path: string, why: string): NetdoctorError {
  return new NetdoctorError('usage', `Cannot write the bundle to ${path}: ${why}.`, {
    path,
    suggestions: [
      'pass --out with a new or empty directory',
      'leave --out out to write ./netdoctor-<timestamp>',
    ],
  });
}
