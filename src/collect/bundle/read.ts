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
import { legacyItemStates } from './item-state.ts';
import {
  CLUSTER_FILES,
  type ClusterFileKey,
  MANIFEST,
  NODE_CNI_DIR,
  NODE_FILES,
  type NodeFileKey,
  PROBES_FILE,
} from './layout.ts';
import { withApiFieldNames } from './legacy-fields.ts';
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
  const opened = await openBundle(path);
  try {
    const timer = { parseMs: 0 };
    const plan = await readBase(opened, timer);
    const { snapshot, readGaps } = plan;
    await mapLimit(plan.nodeNames, NODE_CONCURRENCY, async (name) => {
      snapshot.nodes[name] = await readNode(
        opened.dir,
        name,
        plan.nodeEntries.get(name) ?? [],
        readGaps,
        timer,
      );
    });
    // Keep the manifest's node order (readers and reports list nodes in it).
    const ordered: Record<string, NodeDatapath> = {};
    for (const name of plan.nodeNames) ordered[name] = snapshot.nodes[name] as NodeDatapath;
    snapshot.nodes = ordered;
    snapshot.gaps.push(...sortGaps(readGaps));
    const total = performance.now() - start;
    return {
      snapshot,
      manifest: plan.manifest,
      timings: { readMs: total - timer.parseMs, parseMs: timer.parseMs },
    };
  } finally {
    await opened.close();
  }
}

/** How many nodes the in-memory reader reads at once (each reads its files in parallel). */
const NODE_CONCURRENCY = 8;

/** A bundle read one node at a time: see {@link readBundleStream}. */
export interface BundleStream {
  /** Cluster objects, probes, meta and gaps; `nodes` stays empty. */
  snapshot: Snapshot;
  manifest: ReadBundleResult['manifest'];
  /** Every node `nodes` will yield, in that order (the manifest's, then any others found). */
  nodeNames: string[];
  /**
   * Each node's parsed datapath, once (single use). Gaps found in a node's files are appended
   * to `snapshot.gaps` before that node is yielded; when the iteration ends they are put in the
   * same order as {@link readBundle} gives them.
   */
  nodes: AsyncIterable<NodeDatapath>;
  /** Time spent so far: read (I/O, extraction) and parse (main-thread parsing). */
  timings: ReadBundleResult['timings'];
  /** Removes what opening the bundle unpacked; runs by itself once `nodes` is exhausted. */
  close(): Promise<void>;
}

export interface StreamOptions {
  /**
   * How many nodes the reader holds at once, counting the one the consumer has in hand:
   * 1 reads the next node only when asked; 3 (the default) parses two ahead.
   */
  readAhead?: number;
  /** Called whenever the number of nodes the reader holds changes (for tests and the bench). */
  onHeld?: (held: number) => void;
}

/**
 * Opens a bundle for streaming analysis: reads the manifest, the cluster objects, logs and
 * probes, and returns an iterator that reads and parses one node's files at a time with a small
 * bounded read-ahead. Peak memory is a few nodes' raw text and datapath, whatever the cluster size.
 */
export async function readBundleStream(path: string, opts: StreamOptions = {}): Promise<BundleStream> {
  const start = performance.now();
  const readAhead = Math.max(1, opts.readAhead ?? 3);
  const opened = await openBundle(path);
  const timer = { parseMs: 0 };
  let plan: BasePlan;
  try {
    plan = await readBase(opened, timer);
  } catch (err) {
    await opened.close();
    throw err;
  }
  const { snapshot, readGaps, nodeNames, nodeEntries } = plan;
  const gapsBefore = snapshot.gaps.length;
  snapshot.gaps.push(...sortGaps(readGaps));
  const timings = { readMs: 0, parseMs: 0 };
  const tick = (): void => {
    timings.parseMs = timer.parseMs;
    timings.readMs = performance.now() - start - timer.parseMs;
  };
  tick();
  let used = false;
  async function* iterate(): AsyncGenerator<NodeDatapath> {
    if (used) throw new Error('a bundle stream can be iterated once');
    used = true;
    let held = 0;
    const hold = (d: number): void => {
      held += d;
      opts.onHeld?.(held);
    };
    const inFlight: Promise<{ dp: NodeDatapath; gaps: Gap[] }>[] = [];
    let next = 0;
    const fill = (): void => {
      while (inFlight.length + (held - inFlight.length) < readAhead && next < nodeNames.length) {
        const name = nodeNames[next++] as string;
        const gaps: Gap[] = [];
        hold(1);
        inFlight.push(
          readNode(opened.dir, name, nodeEntries.get(name) ?? [], gaps, timer).then((dp) => ({ dp, gaps })),
        );
      }
    };
    try {
      for (;;) {
        fill();
        const head = inFlight.shift();
        if (!head) break;
        const { dp, gaps } = await head;
        snapshot.gaps.push(...gaps);
        tick();
        yield dp;
        hold(-1);
      }
      const tail = snapshot.gaps.splice(gapsBefore);
      snapshot.gaps.push(...sortGaps(tail));
    } finally {
      // Reads already started must settle before their files go away.
      await Promise.allSettled(inFlight);
      tick();
      await opened.close();
    }
  }
  return {
    snapshot,
    manifest: plan.manifest,
    nodeNames,
    nodes: { [Symbol.asyncIterator]: iterate },
    timings,
    close: opened.close,
  };
}

/** A bundle directory ready to read, and how to clean up what opening it unpacked. */
interface OpenedBundle {
  dir: string;
  archive: string | undefined;
  close(): Promise<void>;
}

async function openBundle(path: string): Promise<OpenedBundle> {
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
  if (info.isFile() && basename(path) === MANIFEST) {
    // Pointing at the manifest itself means its bundle.
    return { dir: dirname(path), archive: undefined, close: async () => {} };
  }
  if (info.isDirectory()) return { dir: path, archive: undefined, close: async () => {} };
  const temp = await extractArchive(path);
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await rm(temp, { recursive: true, force: true });
  };
  try {
    return { dir: await archiveRoot(temp, path), archive: path, close };
  } catch (err) {
    await close();
    throw err;
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

/** What reading the manifest and the cluster files gives: the base snapshot and the node plan. */
interface BasePlan {
  /** Cluster objects, logs, probes and the manifest's gaps; `nodes` empty. */
  snapshot: Snapshot;
  manifest: ReadBundleResult['manifest'];
  /** Gaps found reading the cluster files (not yet in `snapshot.gaps`). */
  readGaps: Gap[];
  /** The manifest's nodes, then any other node the bundle has files for. */
  nodeNames: string[];
  nodeEntries: Map<string, NodeEntry[]>;
}

type NodeEntry = Extract<Entry, { kind: 'node' | 'cni' }>;

async function readBase(opened: OpenedBundle, timer: { parseMs: number }): Promise<BasePlan> {
  const { dir, archive } = opened;
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
  const clusterEntries: Exclude<Entry, NodeEntry>[] = [];
  const nodeEntries = new Map<string, NodeEntry[]>();
  const nodeNames = [...manifest.nodes];
  const known = new Set(nodeNames);
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
    if (!e) continue;
    if (e.kind === 'node' || e.kind === 'cni') {
      const list = nodeEntries.get(e.node);
      if (list) list.push(e);
      else nodeEntries.set(e.node, [e]);
      if (!known.has(e.node)) {
        known.add(e.node);
        nodeNames.push(e.node);
      }
    } else clusterEntries.push(e);
  }

  const cluster = emptyClusterState();
  let probes: ProbeResults | undefined;
  await mapLimit(clusterEntries, IO_CONCURRENCY, async (entry) => {
    const text = await readEntry(dir, entry, gaps);
    if (text === undefined) return;
    parseEntry(entry, gaps, timer, () => {
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
      }
    });
  });

  const snapshot: Snapshot = {
    meta: snapshotMeta(manifest),
    cluster,
    nodes: {},
    ...(probes === undefined ? {} : { probes }),
    gaps: manifest.gaps.map(toGap),
    items: manifest.items ?? legacyItemStates(listed, manifest.gaps.map(toGap), nodeNames),
  };
  return {
    snapshot,
    manifest: { ...manifest, files: manifest.files ?? [] },
    readGaps: gaps,
    nodeNames,
    nodeEntries,
  };
}

/**
 * Reads and parses one node's files (in parallel), the same way for the in-memory and the
 * streaming reader. A file that cannot be read or parsed becomes a gap in `gaps`, never an error.
 */
export async function readNode(
  dir: string,
  name: string,
  entries: readonly NodeEntry[],
  gaps: Gap[],
  timer: { parseMs: number },
): Promise<NodeDatapath> {
  const dp: NodeDatapath = { name };
  const cni: CniConfigFile[] = [];
  await mapLimit(entries, IO_CONCURRENCY, async (entry) => {
    const text = await readEntry(dir, entry, gaps);
    if (text === undefined) return;
    parseEntry(entry, gaps, timer, () => {
      if (entry.kind === 'node') parseNodeFile(dp, entry.key, text);
      else cni.push(parseCniConfig(entry.file, text));
    });
  });
  // CNI runtimes pick the lexically first config file, so keep that order.
  if (cni.length > 0) dp.cniConfigs = cni.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  return dp;
}

async function readEntry(dir: string, entry: Entry, gaps: Gap[]): Promise<string | undefined> {
  try {
    return await readText(join(dir, entry.path));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    gaps.push({
      collector: entry.path,
      reason: code === 'ENOENT' ? 'not-found' : 'error',
      detail: code === 'ENOENT' ? `listed in ${MANIFEST} but absent from the bundle` : (err as Error).message,
      ...('node' in entry ? { node: entry.node } : {}),
    });
    return undefined;
  }
}

function parseEntry(entry: Entry, gaps: Gap[], timer: { parseMs: number }, parse: () => void): void {
  try {
    timed(timer, parse);
  } catch (err) {
    gaps.push({
      collector: entry.path,
      reason: 'parse-error',
      detail: err instanceof Error ? err.message : String(err),
      ...('node' in entry ? { node: entry.node } : {}),
    });
  }
}

function sortGaps(gaps: Gap[]): Gap[] {
  return gaps.sort((a, b) => (a.collector < b.collector ? -1 : a.collector > b.collector ? 1 : 0));
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
  (cluster[key] as unknown[]) = key === 'networkPolicies' ? items.map(withApiFieldNames) : items;
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
