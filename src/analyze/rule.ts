import type { NodeItemKey } from '../collect/bundle/item-state.ts';
import type { ClusterFileKey } from '../collect/bundle/layout.ts';
import type { NodeDatapath } from '../core/datapath-types.ts';
import type { Finding, Layer, Snapshot } from '../core/model.ts';
import type { SnapshotIndex } from './snapshot-index.ts';

/**
 * The collected inputs a rule cannot judge without. The engine checks them before the rule
 * runs: a cluster list or the probe results not collected skips the rule; a node part not
 * collected skips that node. "Absent on the node" is not a skip: it is evidence the rule reads.
 */
export interface RuleNeeds {
  /** Cluster lists (bundle `cluster/*.json`) the rule reads. */
  cluster?: readonly ClusterFileKey[];
  /** Node parts the rule reads on every node it checks. */
  node?: readonly NodeItemKey[];
  /** The rule reads nothing but the probe results. */
  probes?: boolean;
}

/** Whether a rule can run on this snapshot; a skip always carries its reason. */
export type Applicability = { applies: true } | { applies: false; reason: string };

/**
 * What a rule reads: the cluster part of the snapshot and indexes built once for all rules.
 * `snapshot.nodes` is always empty here: node datapaths stream past one at a time (see
 * {@link Rule.runNode}), so that a 5,000-node bundle never has to sit in memory at once.
 */
export interface RuleContext {
  snapshot: Snapshot;
  index: SnapshotIndex;
  /** Names of the nodes whose datapath was collected (and will be passed to `runNode`). */
  collectedNodes: readonly string[];
}

/** A node the rule passed over, and why (aggregated into the rule's outcome). */
export interface NodeSkip {
  skipped: string;
}

/** What `runNode` returns: the node's findings, or why the rule could not check this node. */
export type NodeResult = Finding[] | NodeSkip;

export function isNodeSkip(r: NodeResult): r is NodeSkip {
  return !Array.isArray(r);
}

/**
 * One analysis rule, in a file named after its id and listed in rules/index.ts. Rules are pure:
 * they read the context and return findings; they never touch the network or the API.
 *
 * A rule has up to three phases, run in this order for every rule:
 * - `run`: the cluster phase (cluster objects, probes, logs; never node datapaths);
 * - `runNode`: once per collected node, with that node's datapath only;
 * - `finish`: once after the last node, for findings that need what several nodes showed.
 * State a rule carries between its phases lives in a per-analysis cache keyed on the context
 * (see `perAnalysis` in rules/support/datapath.ts), never in module globals.
 */
export interface Rule {
  /** Stable forever; also the file name. */
  id: string;
  layer: Layer;
  title: string;
  /** Why this matters, in one or two lines (shown in reports). */
  why: string;
  /** What must have been collected for the rule to judge; see {@link RuleNeeds}. */
  needs?: RuleNeeds;
  /** Cluster-level applicability; per-node applicability is a {@link NodeSkip} from `runNode`. */
  appliesTo?: (ctx: RuleContext) => Applicability;
  run?: (ctx: RuleContext) => Finding[];
  runNode?: (ctx: RuleContext, node: NodeDatapath) => NodeResult;
  finish?: (ctx: RuleContext) => Finding[];
}
