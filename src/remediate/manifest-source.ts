/**
 * Where reinstall-cni's last known CNI manifest comes from (`fix --manifest PATH`): a YAML file
 * the person points to, or a netdoctor bundle recorded before the DaemonSet was deleted, whose
 * cluster objects hold the DaemonSet as the API server returned it. Read here, before planning,
 * so the planner stays pure.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { readBundle } from '../collect/bundle/read.ts';
import { NetdoctorError } from '../core/errors.ts';
import type { Snapshot } from '../core/model.ts';
import type { RepairOptions } from './step.ts';
import { isCniDaemonSet, stripServerFields } from './step-kit.ts';

export type ManifestSource = NonNullable<RepairOptions['manifest']>;

/** Whether `path` names a bundle (a directory, a .tar.gz/.tgz, or its manifest.json). */
async function isBundlePath(path: string): Promise<boolean> {
  if (/\.(tar\.gz|tgz)$/i.test(path) || basename(path) === 'manifest.json') return true;
  const info = await stat(path).catch((err: unknown) => {
    throw new NetdoctorError('usage', `cannot read --manifest ${path}`, { cause: err, path });
  });
  return info.isDirectory();
}

/** Reads `--manifest PATH`: a bundle (directory or archive) or a YAML manifest file. */
export async function loadManifest(path: string): Promise<ManifestSource> {
  if (await isBundlePath(path)) return manifestFromBundle(path);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new NetdoctorError('usage', `cannot read --manifest ${path}`, { cause: err, path });
  }
  const objects = parseAllDocuments(text)
    .map((d) => d.toJS() as unknown)
    .filter((o): o is object => typeof o === 'object' && o !== null);
  return { source: path, objects };
}

async function manifestFromBundle(path: string): Promise<ManifestSource> {
  const snapshot = await readBundle(path);
  const found = cniManifestFromSnapshot(snapshot, path);
  if (found) return found;
  const gap = snapshot.gaps.find((g) => g.collector === 'cluster/daemonSets');
  throw new NetdoctorError(
    'usage',
    `--manifest ${path}: the bundle (recorded ${snapshot.meta.createdAt}) holds no CNI DaemonSet${
      gap ? `: its DaemonSets could not be collected (${gap.reason})` : ''
    }`,
    {
      path,
      suggestions: [
        'pass a bundle recorded while the CNI DaemonSet still existed (e.g. an earlier `netdoctor diagnose`)',
        "or pass the CNI's manifest file: --manifest kube-flannel.yml",
      ],
    },
  );
}

/**
 * The CNI DaemonSets a snapshot recorded, as objects fit to create again: the cluster collector
 * stores list items, which carry no apiVersion or kind, and server fields (uid,
 * resourceVersion, status) that a create must not send. Undefined when there is none.
 */
export function cniManifestFromSnapshot(snapshot: Snapshot, path: string): ManifestSource | undefined {
  const sets = snapshot.cluster.daemonSets.filter((d) => isCniDaemonSet(d.metadata.name));
  if (sets.length === 0) return undefined;
  const names = sets.map((d) => `${d.metadata.namespace ?? 'default'}/${d.metadata.name}`).join(', ');
  return {
    source: `bundle ${path} (recorded ${snapshot.meta.createdAt}: DaemonSet ${names})`,
    objects: sets.map(
      (d) => ({ apiVersion: 'apps/v1', kind: 'DaemonSet', ...(stripServerFields(d) as object) }) as object,
    ),
  };
}
