/**
 * Bundles as .tar.gz: packing a written bundle directory and unpacking an archive for reading.
 * The archive holds the directory as its single top folder, so unpacking it anywhere gives back
 * the same browsable `netdoctor-YYYYMMDD-HHMMSS/` tree.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { create, extract } from 'tar';
import { NetdoctorError } from '../../core/errors.ts';

/** Writes `<dir>.tar.gz` beside the bundle directory and returns its path. */
export async function packBundle(dir: string): Promise<string> {
  const abs = resolve(dir);
  const file = `${abs}.tar.gz`;
  await create({ gzip: true, file, cwd: dirname(abs), portable: true }, [basename(abs)]);
  return file;
}

/**
 * Unpacks `archive` into a new temporary directory and returns it; the caller removes it.
 * Extraction is strict, so a truncated or corrupt archive fails here instead of yielding a
 * silently partial bundle. tar's defaults keep entries inside the target (no absolute paths,
 * no `..`), which matters because bundles arrive from other people's machines.
 */
export async function extractArchive(archive: string): Promise<string> {
  const target = await mkdtemp(join(tmpdir(), 'netdoctor-bundle-'));
  try {
    await extract({ file: archive, cwd: target, strict: true });
  } catch (err) {
    // tar rejects on the first bad block while writes of earlier entries may still be in
    // flight; retrying rides out the ENOTEMPTY that race produces.
    await rm(target, { recursive: true, force: true, maxRetries: 10, retryDelay: 20 });
    throw new NetdoctorError(
      'bundle-malformed',
      `${archive} is not a readable .tar.gz bundle: ${err instanceof Error ? err.message : String(err)}`,
      {
        path: archive,
        cause: err,
        suggestions: [
          'The archive may be truncated (an interrupted copy or download); copy it again.',
          `Check it with: tar -tzf ${archive}`,
        ],
      },
    );
  }
  return target;
}
