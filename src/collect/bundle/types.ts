/**
 * The bundle's in-memory shapes: what `writeBundle` is given and what `readBundleDetailed`
 * returns. The on-disk layout itself lives in layout.ts.
 */
import type { ClusterState } from '../../core/cluster-types.ts';
import type { ItemState } from '../../core/item-state.ts';
import type { Gap, Snapshot, SnapshotMeta } from '../../core/model.ts';
import type { ProbeResults } from '../../core/probe-types.ts';
import type { NodeItemKey } from './item-state.ts';
import type { BundleManifest, NodeFileKey } from './layout.ts';

/** One node's raw collected output: command output by layout key, and its CNI config files. */
export interface BundleNodeInput {
  files: Partial<Record<NodeFileKey, string>>;
  cniFiles: { file: string; text: string }[];
  /**
   * Parts that are not in `files`, and why: absent on the node (a fact) or not collected (with
   * the reason). `cniConfigs` is `collected` with no files when the directory exists but is empty.
   */
  states?: Partial<Record<NodeItemKey, ItemState>>;
}

/** Everything a bundle is written from. Redaction happens inside `writeBundle`, not before. */
export interface BundleInput {
  meta: SnapshotMeta;
  cluster: ClusterState;
  /** Keyed by Kubernetes node name. */
  nodes: Record<string, BundleNodeInput>;
  probes?: ProbeResults;
  gaps: Gap[];
  /** Extra top-level files by bundle path, e.g. `report.json` or `DIAGNOSIS-REPORT.md`. */
  reports?: Record<string, string>;
}

/** A bundle read back, with where the time went (the benchmark compares parse to analysis). */
export interface ReadBundleResult {
  snapshot: Snapshot;
  manifest: BundleManifest;
  timings: {
    /** Wall time not spent parsing: extraction, directory and file I/O. */
    readMs: number;
    /** Main-thread time spent in JSON.parse and the node-file parsers. */
    parseMs: number;
  };
}
