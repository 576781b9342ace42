/**
 * Writing a bundle to disk: the files bundle-files.ts plans, then the manifest, last, so a
 * crash part-way never leaves a manifest that lists files which are not there.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { mapLimit } from '../../core/concurrency.ts';
import { redactValue } from '../redact/redact.ts';
import { bundleFiles } from './bundle-files.ts';
import { IO_CONCURRENCY } from './concurrency.ts';
import { writeText } from './fs-io.ts';
import { collectionItemStates } from './item-state.ts';
import { BUNDLE_FORMAT, BUNDLE_VERSION, type BundleManifest, MANIFEST } from './layout.ts';
import type { BundleInput } from './types.ts';

/** Writes `input` as a bundle into `dir` (created if needed) and returns its manifest. */
export async function writeBundle(dir: string, input: BundleInput): Promise<BundleManifest> {
  const { files, redactions } = bundleFiles(input);
  await mkdir(dir, { recursive: true });
  // A manifest left from an earlier write would vouch for files this write may not produce.
  await rm(join(dir, MANIFEST), { force: true });

  const dirs = [...new Set(files.map((f) => dirname(f.path)).filter((d) => d !== '.'))];
  await mapLimit(dirs, IO_CONCURRENCY, (d) => mkdir(join(dir, d), { recursive: true }));
  await mapLimit(files, IO_CONCURRENCY, (f) => writeText(join(dir, f.path), f.text));

  const { meta } = input;
  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    version: BUNDLE_VERSION,
    createdAt: meta.createdAt,
    netdoctorVersion: meta.netdoctorVersion,
    source: meta.source,
    ...(meta.description === undefined ? {} : { description: redactValue(meta.description) }),
    ...(meta.cluster === undefined ? {} : { cluster: redactValue(meta.cluster) }),
    nodes: Object.keys(input.nodes).sort(),
    files: files
      .map((f) => ({ path: f.path, bytes: Buffer.byteLength(f.text) }))
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
    gaps: redactValue(input.gaps),
    items: collectionItemStates(input, new Set(files.map((f) => f.path))),
    redactions,
  };
  await writeFile(join(dir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** The timestamped directory name of a bundle: `netdoctor-YYYYMMDD-HHMMSS`, in UTC. */
export function bundleDirName(now: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  const date = `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}`;
  const time = `${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  return `netdoctor-${date}-${time}`;
}
