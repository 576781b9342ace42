/**
 * Reading a bundle (directory or .tar.gz) back into a Snapshot. Every file is read and parsed
 * on its own: one broken file becomes a gap naming it and the rest is still analyzed, because
 * a partial bundle from a half-broken cluster is exactly what people bring at 3 a.m.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ClusterState } from '../../core/cluster-types.ts';
import { emptyClusterState } from '../../core/cluster-types.ts';
import { mapLimit } from '../../core/concurrency.ts';
import type { CniConfigFile, NodeDatapath } from '../../core/datapath-types.ts';
import { NetdoctorError } from '../../core/errors.ts';
import type { Gap, Snapshot, SnapshotMeta } from '../../core/model.ts';
import type { ProbeResults } from '../../core/probe-types.ts';
import { NODE_FILE_PARSERS, parseCniConfig } from '../../datapath/parsers/index.ts';
import { IO_CONCURRENCY } from './concurrency.ts';
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
import { type BundleLimits, limitExceeded, resolveLimits } from './limits.ts';
import { isSafeRelativePath, logKeyForPath } from './log-paths.ts';
import { type ParsedManifest, parseManifest, toGap } from './manifest.ts';
import { type OpenedBundle, openBundle } from './open-bundle.ts';
import { readSharedNodeFile } from './read-shared-node-file.ts';
import type { ReadBundleResult } from './types.ts';
import { assertValid } from './validate.ts';
import { walkBundleDir } from './walk-dir.ts';

/** What every bundle read can be given. */
export interface ReadOptions {
  /** Limits on what is read; the defaults (limits.ts) for any not given. */
  limits?: Partial<BundleLimits>;
}

/** Reads the bundle at `path` (a directory or a .tar.gz/.tgz) into a Snapshot. */
export async function readBundle(path: string, opts: ReadOptions = {}): Promise<Snapshot> {
  return (await readBundleDetailed(path, opts)).snapshot;
}

/** {@link readBundle}, also returning the manifest and where the time went. */
export async function readBundleDetailed(path: string, opts: ReadOptions = {}): Promise<ReadBundleResult> {
  const start = performance.now();
  const opened = await openBundle(path, resolveLimits(opts.limits));
  try {
    const timer = { parseMs: 0 };
    const plan = await readBase(opened, timer);
    const { snapshot, readGaps } = plan;
    await mapLimit(plan.nodeNames, NODE_CONCURRENCY, async (name) => {
      snapshot.nodes[name] = await readNode(opened, name, plan.nodeEntries.get(name) ?? [], readGaps, timer);
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

export interface StreamOptions extends ReadOptions {
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
  const opened = await openBundle(path, resolveLimits(opts.limits));
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
          readNode(opened, name, nodeEntries.get(name) ?? [], gaps, timer).then((dp) => ({ dp, gaps })),
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
  const read = await opened.reader.read(MANIFEST);
  if (read.kind !== 'text') {
    throw new NetdoctorError(
      'bundle-malformed',
      `${archive ?? dir} is not a netdoctor bundle: ${shownManifest} is ${read.reason === 'not-found' ? 'missing' : `unreadable (${read.detail})`}.`,
      {
        path: manifestPath,
        suggestions: ['Create a bundle with `netdoctor diagnose` (it writes a directory and a .tar.gz).'],
      },
    );
  }
  const manifestText = read.text;
  const manifest = timed(timer, () => parseManifest(manifestText, shownManifest));

  const gaps: Gap[] = [];
  const listed =
    manifest.files?.map((f) => f.path) ??
    (await walkBundleDir(dir, opened.limits)).filter((p) => p !== MANIFEST);
  if (listed.length > opened.limits.maxEntries) {
    throw limitExceeded(
      'maxEntries',
      opened.limits,
      archive ?? dir,
      `it lists ${listed.length} files`,
      listed.length,
    );
  }
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
    const text = await readEntry(opened, entry, gaps);
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
  opened: OpenedBundle,
  name: string,
  entries: readonly NodeEntry[],
  gaps: Gap[],
  timer: { parseMs: number },
): Promise<NodeDatapath> {
  const dp: NodeDatapath = { name };
  const cni: CniConfigFile[] = [];
  await mapLimit(entries, IO_CONCURRENCY, async (entry) => {
    const text = await readEntry(opened, entry, gaps);
    if (text === undefined) return;
    if (
      entry.kind === 'node' &&
      (await readSharedNodeFile({
        opened,
        entry,
        text,
        dp,
        gaps,
        timer,
        parse: (fn) => parseEntry(entry, gaps, timer, fn),
      }))
    )
      return;
    parseEntry(entry, gaps, timer, () => {
      if (entry.kind === 'node') parseNodeFile(dp, entry.key, text);
      else {
        const config = parseCniConfig(entry.file, text);
        assertValid({ kind: 'cni-config' }, config);
        cni.push(config);
      }
    });
  });
  // CNI runtimes pick the lexically first config file, so keep that order.
  if (cni.length > 0) dp.cniConfigs = cni.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  return dp;
}

/**
 * A file's text, or undefined with a gap saying why not (absent, a link, a FIFO...). A limit
 * crossed is not a gap: it stops the whole read (exit 2).
 */
async function readEntry(opened: OpenedBundle, entry: Entry, gaps: Gap[]): Promise<string | undefined> {
  const node = 'node' in entry ? { node: entry.node } : {};
  const refused = opened.refused.get(entry.path);
  if (refused !== undefined) {
    gaps.push({ collector: entry.path, reason: 'error', detail: refused, ...node });
    return undefined;
  }
  const r = await opened.reader.read(entry.path);
  if (r.kind === 'text') return r.text;
  gaps.push({
    collector: entry.path,
    reason: r.reason === 'not-found' ? 'not-found' : 'error',
    detail: r.reason === 'not-found' ? `listed in ${MANIFEST} but absent from the bundle` : r.detail,
    ...node,
  });
  return undefined;
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
  const list = key === 'networkPolicies' ? items.map(withApiFieldNames) : items;
  assertValid({ kind: 'cluster', key }, list, Array.isArray(value) ? '' : '/items');
  (cluster[key] as unknown[]) = list;
}

function parseProbes(text: string): ProbeResults {
  const value = JSON.parse(text) as ProbeResults | null;
  if (!value || !Array.isArray(value.results))
    throw new Error('expected probe results with a "results" array');
  assertValid({ kind: 'probes' }, value);
  return value;
}

/**
 * The parsers' table is typed per key; going through one key at a time at runtime loses that
 * pairing, so the assignment is widened here, once, with keys that come from the same table.
 */
function parseNodeFile(dp: NodeDatapath, key: NodeFileKey, text: string): void {
  const parse = NODE_FILE_PARSERS[key] as ((t: string) => unknown) | undefined;
  if (parse === undefined) throw new Error(`no parser for ${NODE_FILES[key]}`);
  const value = parse(text);
  assertValid({ kind: 'node', key }, value);
  (dp as unknown as Record<string, unknown>)[key] = value;
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
