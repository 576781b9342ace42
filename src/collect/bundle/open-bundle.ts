/**
 * Opening a bundle path for reading: a directory as it is, a .tar.gz unpacked within the limits
 * into a temporary directory (removed by `close`, and by the signal handlers until then). Either
 * way the files are then read through one SafeBundleReader, regular files only.
 */
import { stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { NetdoctorError } from '../../core/errors.ts';
import { MANIFEST } from './layout.ts';
import type { BundleLimits } from './limits.ts';
import { SafeBundleReader } from './safe-read.ts';

/** A bundle directory ready to read, and how to clean up what opening it unpacked. */
export interface OpenedBundle {
  dir: string;
  archive: string | undefined;
  reader: SafeBundleReader;
  /** Listed files an archive held as something other than a regular file, with why. */
  refused: ReadonlyMap<string, string>;
  limits: BundleLimits;
  close(): Promise<void>;
}

export async function openBundle(path: string, limits: BundleLimits): Promise<OpenedBundle> {
  const info = await stat(path).catch((err: NodeJS.ErrnoException) => {
    throw new NetdoctorError(
      'bundle-not-found',
      `No bundle at ${path}: ${err.code === 'ENOENT' ? 'it does not exist' : err.message}.`,
      {
        path,
        cause: err,
        suggestions: ['Give the path of a bundle directory or .tar.gz written by `netdoctor diagnose`.'],
      },
    );
  });
  const none = new Map<string, string>();
  const local = (dir: string): OpenedBundle => ({
    dir,
    archive: undefined,
    reader: new SafeBundleReader(dir, limits, dir),
    refused: none,
    limits,
    close: async () => {},
  });
  // Pointing at the manifest itself means its bundle.
  if (info.isFile() && basename(path) === MANIFEST) return local(dirname(path));
  if (info.isDirectory()) return local(path);
  if (!info.isFile()) {
    throw new NetdoctorError(
      'bundle-malformed',
      `${path} is neither a bundle directory nor a .tar.gz file.`,
      {
        path,
      },
    );
  }
  // Loaded only for an archive: tar and its streams cost a long-running reader of directories
  // (the agent reads its own one-node bundle every round) about 10 MB it never uses.
  const { extractBundleArchive } = await import('./archive-read.ts');
  const x = await extractBundleArchive(path, limits);
  return {
    dir: x.dir,
    archive: path,
    reader: new SafeBundleReader(x.dir, limits, path),
    refused: x.refused,
    limits,
    close: x.close,
  };
}
