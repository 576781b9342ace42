/**
 * The pure half of writing a bundle: from a BundleInput to the exact list of files (path and
 * redacted text) that go on disk. Nothing here touches the filesystem, so what a bundle holds,
 * and that every byte of it went through redaction, is testable without one.
 */
import type { ClusterState } from '../../core/cluster-types.ts';
import { NetdoctorError } from '../../core/errors.ts';
import { redactText, redactValueCounted } from '../redact/redact.ts';
import { renderComponentFiles } from './components.ts';
import {
  CLUSTER_FILES,
  type ClusterFileKey,
  MANIFEST,
  NODE_CNI_DIR,
  NODE_FILES,
  type NodeFileKey,
  nodeDir,
  nodeFile,
  PROBES_FILE,
} from './layout.ts';
import { isPathSegment, isSafeRelativePath, logPathForKey } from './log-paths.ts';
import { SHARED_CHAIN_FILES, type SharedChainsIndex, splitIptablesSave } from './shared-chains.ts';
import { encodeRecords, type RecordBase, recordBase, SHARED_RECORD_FILES } from './shared-records.ts';
import type { BundleInput } from './types.ts';

/** One file of a bundle, as it will be written. */
export interface BundleFile {
  path: string;
  text: string;
}

/** A node's iptables file with its kube-proxy chains split off (shared-chains.ts), or whole. */
function shareChains(text: string, known: SharedChainsIndex): { node: string; file?: BundleFile } {
  const split = splitIptablesSave(text, known);
  return split
    ? { node: split.node, file: { path: split.shared.path, text: split.shared.text } }
    : { node: text };
}

/** The cluster list kinds: every ClusterState array, each written as one `List` file. */
type ClusterListKey = Exclude<ClusterFileKey, 'version'>;
const CLUSTER_LISTS: readonly ClusterListKey[] = Object.keys(CLUSTER_FILES).filter(
  (k): k is ClusterListKey => k !== 'version',
);

/**
 * Every file of the bundle except the manifest, redacted, and the number of secrets redacted.
 * Throws NetdoctorError('internal') for a node, CNI file or report name that is not a safe path.
 */
export function bundleFiles(input: BundleInput): { files: BundleFile[]; redactions: number } {
  let redactions = 0;
  const files: BundleFile[] = [];
  const add = (path: string, text: string): void => {
    const r = redactText(text);
    redactions += r.count;
    files.push({ path, text: r.text });
  };

  const { logs, ...objects } = input.cluster;
  const redacted = redactValueCounted(withoutSecrets(objects));
  redactions += redacted.count;
  const cluster: ClusterState = { ...redacted.value, logs: {} };

  for (const key of CLUSTER_LISTS) {
    // Already redacted as objects; written directly so JSON stays exactly what was collected.
    files.push({ path: CLUSTER_FILES[key], text: listJson(cluster[key]) });
  }
  if (input.cluster.serverVersion !== undefined) {
    files.push({
      path: CLUSTER_FILES.version,
      text: `${JSON.stringify({ gitVersion: cluster.serverVersion })}\n`,
    });
  }

  for (const [key, text] of Object.entries(logs)) {
    const path = logPathForKey(key);
    if (path === undefined) throw unsafe(`log key ${JSON.stringify(key)}`);
    const r = redactText(text);
    redactions += r.count;
    cluster.logs[key] = r.text;
    files.push({ path, text: r.text });
  }

  const sharedWritten = new Set<string>();
  const chains: SharedChainsIndex = new Map();
  // Each list kind's base is the first node's list that can be one; the rest are runs of it.
  const bases = new Map<NodeFileKey, RecordBase>();
  const shareRecords = (key: NodeFileKey, text: string): { node: string; file?: BundleFile } => {
    let base = bases.get(key);
    if (!base) {
      base = recordBase(text);
      if (base) bases.set(key, base);
    }
    const node = base === undefined ? undefined : encodeRecords(text, base);
    return base && node ? { node, file: { path: base.path, text: base.text } } : { node: text };
  };
  for (const [node, data] of Object.entries(input.nodes)) {
    if (!isPathSegment(node)) throw unsafe(`node name ${JSON.stringify(node)}`);
    for (const key of Object.keys(data.files) as NodeFileKey[]) {
      const text = data.files[key];
      if (text === undefined || !Object.hasOwn(NODE_FILES, key)) continue;
      if (!SHARED_CHAIN_FILES.has(key) && !SHARED_RECORD_FILES.has(key)) {
        add(nodeFile(node, key), text);
        continue;
      }
      // Shared after redaction, so what is shared is exactly what would have been written.
      const r = redactText(text);
      redactions += r.count;
      const shared = SHARED_CHAIN_FILES.has(key) ? shareChains(r.text, chains) : shareRecords(key, r.text);
      files.push({ path: nodeFile(node, key), text: shared.node });
      if (shared.file && !sharedWritten.has(shared.file.path)) {
        sharedWritten.add(shared.file.path);
        files.push(shared.file);
      }
    }
    for (const cni of data.cniFiles) {
      if (!isPathSegment(cni.file)) throw unsafe(`CNI file name ${JSON.stringify(cni.file)}`);
      add(`${nodeDir(node)}/${NODE_CNI_DIR}/${cni.file}`, cni.text);
    }
  }

  if (input.probes) add(PROBES_FILE, `${JSON.stringify(input.probes, null, 2)}\n`);

  for (const [path, text] of Object.entries(renderComponentFiles(cluster, input.probes))) add(path, text);

  for (const [path, text] of Object.entries(input.reports ?? {})) {
    if (!isSafeRelativePath(path) || path === MANIFEST) throw unsafe(`report path ${JSON.stringify(path)}`);
    add(path, text);
  }

  const seen = new Set<string>();
  for (const f of files) {
    if (seen.has(f.path))
      throw new NetdoctorError('internal', `Two bundle files would share the path ${f.path}.`);
    seen.add(f.path);
  }
  return { files, redactions };
}

/**
 * Secrets are never collected; this is the last line of defence if one reaches the writer in a
 * list (objects carry their `kind` when they come from a mixed list or were built by hand).
 */
function withoutSecrets<T extends Omit<ClusterState, 'logs'>>(state: T): T {
  const out = { ...state };
  for (const key of CLUSTER_LISTS) {
    const list = state[key] as unknown[];
    (out as Record<string, unknown>)[key] = list.filter((o) => (o as { kind?: unknown }).kind !== 'Secret');
  }
  return out;
}

/**
 * The API's list form, one item per line: compact enough for 150,000 pods, and still greppable
 * object by object.
 */
function listJson(items: readonly unknown[]): string {
  if (items.length === 0) return '{"apiVersion":"v1","kind":"List","items":[]}\n';
  return `{"apiVersion":"v1","kind":"List","items":[\n${items.map((i) => JSON.stringify(i)).join(',\n')}\n]}\n`;
}

function unsafe(what: string): NetdoctorError {
  return new NetdoctorError('internal', `Cannot write a bundle: ${what} is not usable as a file path.`);
}
