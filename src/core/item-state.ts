/**
 * The state of one item a collection tried to gather (see collect/bundle/item-state.ts for
 * how bundles record it). Plain data, so snapshots and reports can carry it.
 */

/** Why an item was not collected. `unknown`: the bundle does not say (older bundles). */
export const NOT_COLLECTED_REASONS = [
  'error',
  'timeout',
  'forbidden',
  'not-attempted',
  'unreadable',
  'unknown',
] as const;
export type NotCollectedReason = (typeof NOT_COLLECTED_REASONS)[number];

/** One item's state. `absent` is a fact about the node; `not-collected` is a hole in what we know. */
export type ItemState =
  | { state: 'collected' }
  | { state: 'absent'; detail?: string }
  | { state: 'not-collected'; reason: NotCollectedReason; detail?: string };

/** Bundle path -> state, for every item a collection tried to gather. */
export type ItemStates = Record<string, ItemState>;
