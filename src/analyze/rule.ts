import type { Finding, Layer, Snapshot } from '../core/model.ts';
import type { SnapshotIndex } from './snapshot-index.ts';

/** Whether a rule can run on this snapshot; a skip always carries its reason. */
export type Applicability = { applies: true } | { applies: false; reason: string };

/** What a rule reads: the immutable snapshot and indexes built once for all rules. */
export interface RuleContext {
  snapshot: Snapshot;
  index: SnapshotIndex;
}

/**
 * One analysis rule, in a file named after its id and listed in rules/index.ts. Rules are pure:
 * they read the context and return findings; they never touch the network or the API.
 */
export interface Rule {
  /** Stable forever; also the file name. */
  id: string;
  layer: Layer;
  title: string;
  /** Why this matters, in one or two lines (shown in reports). */
  why: string;
  appliesTo?: (ctx: RuleContext) => Applicability;
  run: (ctx: RuleContext) => Finding[];
}
