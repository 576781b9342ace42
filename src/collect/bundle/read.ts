/**
 * Reading a bundle (directory or .tar.gz) back into a Snapshot. Every file is read and parsed
 * on its own: one broken file becomes a gap naming it and the rest is still analyzed, because
 * a partial bundle from a half-broken cluster is exactly what people bring at 3 a.m.
 */
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ClusterState } from '../../core/cluster-types.ts';
import { emptyClusterState } from '../../core/cluster-types.ts';
import { mapLimit } from '../../core/concurrency.ts';
import type { CniConfigFile, NodeDatapath } from '../../core/datapath-types.ts';
import { NetdoctorError } from '../../core/errors.ts';
import type { Gap, Snapshot, SnapshotMeta } from '../../core/model.ts';
import type { ProbeResults } from '../../core/probe-types.ts';
import { NODE_FILE_PARSERS, parseCniConfig } from '../../datapath/parsers/index.ts';
import { extractArchive } from './archive.ts';
import { IO_CONCURRENCY } from './concurrency.ts';
import { readText } from './fs-io.ts';
import {
  CLUSTER_FILES,
  type ClusterFileKey,
  MANIFEST,
  NODE_CNI_DIR,
  NODE_FILES,
  type NodeFileKey,
  PROBES_FILE,
} from './layout.ts';
import { isSafeRelativePath, logKeyForPath } from './log-paths.ts';
import { type ParsedManifest, parseManifest, toGap } from './manifest.ts';
import type { ReadBundleResult } from './types.ts';

/** Reads the bundle at `path` (a directory or a .tar.gz/.tgz) into a Snapshot. */
export async function readBundle(path: string): Promise<Snapshot> {
  return (await readBundleDetailed(path)).snapshot;
}

/** {@link readBundle}, also returning the manifest and where the time went. */
export async function readBundleDetailed(path: string): Promise<ReadBundleResult> {
  const start = performance.now();
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
  let temp: string | undefined;
  try {
    let dir = path;
    let archive: string | undefined;
    if (info.isFile() && basename(path) === MANIFEST) {
      // Pointing at the manifest itself means its bundle.
      dir = dirname(path);
    } else if (!info.isDirectory()) {
      archive = path;
      temp = await extractArchive(path);
      dir = await archiveRoot(temp, path);
    }
    const timer = { parseMs: 0 };
    const { snapshot, manifest } = await readDirectory(dir, archive, timer);
    const total = performance.now() - start;
    return { snapshot, manifest, timings: { readMs: total - timer.parseMs, parseMs: timer.parseMs } };
  } finally {
    if (temp !== undefined) await rm(temp, { recursive: true, force: true });
  }
}

/** The bundle directory inside an unpacked archive: its top, or its one top folder. */
async function archiveRoot(temp: string, archive: string): Promise<string> {
  if (await exists(join(temp, MANIFEST))) return temp;
  const entries = await readdir(temp, { withFileTypes: true });
  const only = entries.length === 1 ? entries[0] : undefined;
  if (only?.isDirectory() && (await exists(join(temp, only.name, MANIFEST)))) return join(temp, only.name);
  throw new NetdoctorError(
    'bundle-malformed',
    `${archive} holds no ${MANIFEST}: expected it at the top of the archive or inside its single top folder.`,
    { path: archive, suggestions: ['Create a bundle with `netdoctor diagnose`, then analyze its .tar.gz.'] },
  );
}

/** What a bundle path holds, so each file goes to the right parser. */
type Entry =
  | { kind: 'cluster'; path: string; key: ClusterFileKey }
  | { kind: 'log'; path: string; key: string }
  | { kind: 'node'; path: string; node: string; key: NodeFileKey }
  | { kind: 'cni'; path: string; node: string; file: string }
  | { kind: 'probes'; path: string };

const CLUSTER_BY_PATH = new Map<string, ClusterFileKey>(
  Object.entries(CLUSTER_FILES).map(([k, p]) => [p, k as ClusterFileKey]),
);
const NODE_KEY_BY_FILE = new Map<string, NodeFileKey>(
  Object.entries(NODE_FILES).map(([k, f]) => [f, k as NodeFileKey]),
);

function classify(path: string): Entry | undefined {
  const cluster = CLUSTER_BY_PATH.get(path);
  if (cluster !== undefined) return { kind: 'cluster', path, key: cluster };
  if (path === PROBES_FILE) return { kind: 'probes', path };
  const log = logKeyForPath(path);
  if (log !== undefined) return { kind: 'log', path, key: log };
  const parts = path.split('/');
  if (parts[0] !== 'nodes' || parts[1] === undefined) return undefined;
  const node = parts[1];
  if (parts.length === 3) {
    const key = NODE_KEY_BY_FILE.get(parts[2] as string);
    return key === undefined ? undefined : { kind: 'node', path, node, key };
  }
  if (parts.length === 4 && parts[2] === NODE_CNI_DIR)
    return { kind: 'cni', path, node, file: parts[3] as string };
  return undefined;
}

async function readDirectory(
  dir: string,
  archive: string | undefined,
  timer: { parseMs: number },
): Promise<{ snapshot: Snapshot; manifest: ReadBundleResult['manifest'] }> {
  const manifestPath = join(dir, MANIFEST);
  const shownManifest = archive === undefined ? manifestPath : `${archive}:${MANIFEST}`;
  let manifestText: string;
  try {
    manifestText = await readFile(manifestPath, 'utf8');
  } catch (err) {
    throw new NetdoctorError(
      'bundle-malformed',
      `${archive ?? dir} is not a netdoctor bundle: ${shownManifest} is missing.`,
      {
        path: manifestPath,
        cause: err,
        suggestions: ['Create a bundle with `netdoctor diagnose` (it writes a directory and a .tar.gz).'],
      },
    );
  }
  const manifest = timed(timer, () => parseManifest(manifestText, shownManifest));

  const gaps: Gap[] = [];
  const listed = manifest.files?.map((f) => f.path) ?? (await walk(dir));
  const entries: Entry[] = [];
  for (const path of listed) {
    if (!isSafeRelativePath(path)) {
      gaps.push({
        collector: MANIFEST,
        reason: 'error',
        detail: `ignored unsafe path ${JSON.stringify(path)}`,
      });
      continue;
    }
    const e = classify(path);
    if (e) entries.push(e);
  }

  const cluster = emptyClusterState();
  const nodes: Record<string, NodeDatapath> = {};
  const cni: Record<string, CniConfigFile[]> = {};
  for (const name of manifest.nodes) nodes[name] = { name };
  let probes: ProbeResults | undefined;

  await mapLimit(entries, IO_CONCURRENCY, async (entry) => {
    let text: string;
    try {
      text = await readText(join(dir, entry.path));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      gaps.push({
        collector: entry.path,
        reason: code === 'ENOENT' ? 'not-found' : 'error',
        detail:
          code === 'ENOENT' ? `listed in ${MANIFEST} but absent from the bundle` : (err as Error).message,
        ...('node' in entry ? { node: entry.node } : {}),
      });
      return;
    }
    try {
      timed(timer, () => {
        switch (entry.kind) {
          case 'cluster':
            readClusterFile(cluster, entry.key, text);
            break;
          case 'log':
            cluster.logs[entry.key] = text;
            break;
          case 'probes':
            probes = parseProbes(text);
            break;
          case 'node':
            nodes[entry.node] ??= { name: entry.node };
            parseNodeFile(nodes[entry.node] as NodeDatapath, entry.key, text);
            break;
          case 'cni': {
            nodes[entry.node] ??= { name: entry.node };
            const files = cni[entry.node] ?? [];
            cni[entry.node] = files;
            files.push(parseCniConfig(entry.file, text));
            break;
          }
        }
      });
    } catch (err) {
      gaps.push({
        collector: entry.path,
        reason: 'parse-error',
        detail: err instanceof Error ? err.message : String(err),
        ...('node' in entry ? { node: entry.node } : {}),
      });
    }
  });

  // CNI runtimes pick the lexically first config file, so keep that order.
  for (const [node, files] of Object.entries(cni)) {
    const dp = nodes[node];
    if (dp) dp.cniConfigs = files.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  }

  gaps.sort((a, b) => (a.collector < b.collector ? -1 : a.collector > b.collector ? 1 : 0));
  const snapshot: Snapshot = {
    meta: snapshotMeta(manifest),
    cluster,
    nodes,
    ...(probes === undefined ? {} : { probes }),
    gaps: [...manifest.gaps.map(toGap), ...gaps],
  };
  return { snapshot, manifest: { ...manifest, files: manifest.files ?? [] } };
}

/** Parse time is main-thread time, so summing it is exact even while reads overlap. */
function timed<T>(timer: { parseMs: number }, fn: () => T): T {
  const t = performance.now();
  try {
    return fn();
  } finally {
    timer.parseMs += performance.now() - t;
  }
}

function readClusterFile(cluster: ClusterState, key: ClusterFileKey, text: string): void {
  const value: unknown = JSON.parse(text);
  if (key === 'version') {
    const v = typeof value === 'string' ? value : (value as { gitVersion?: unknown } | null)?.gitVersion;
    if (typeof v !== 'string') throw new Error('expected {"gitVersion": "..."}');
    cluster.serverVersion = v;
    return;
  }
  const items = Array.isArray(value) ? value : (value as { items?: unknown } | null)?.items;
  if (!Array.isArray(items)) throw new Error('expected a List object with an "items" array');
  (cluster[key] as unknown[]) = items;
}

function parseProbes(text: string): ProbeResults {
  const value = JSON.parse(text) as ProbeResults | null;
  if (!value || !Array.isArray(value.results))
    throw new Error('expected probe results with a "results" array');
  return value;
}

/**
 * The parsers' table is typed per key; going through one key at a time at runtime loses that
 * pairing, so the assignment is widened here, once, with keys that come from the same table.
 */
function parseNodeFile(dp: NodeDatapath, key: NodeFileKey, text: string): void {
  const parse = NODE_FILE_PARSERS[key] as ((t: string) => unknown) | undefined;
  if (parse === undefined) throw new Error(`no parser for ${NODE_FILES[key]}`);
  (dp as unknown as Record<string, unknown>)[key] = parse(text);
}

function snapshotMeta(m: ParsedManifest): SnapshotMeta {
  return {
    createdAt: m.createdAt,
    source: m.source,
    netdoctorVersion: m.netdoctorVersion,
    ...(m.cluster === undefined ? {} : { cluster: m.cluster }),
    ...(m.description === undefined ? {} : { description: m.description }),
  };
}

/** Every file under `dir`, bundle-relative, for manifests that do not list their files. */
async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join('/'))
    .filter((p) => p !== MANIFEST);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
