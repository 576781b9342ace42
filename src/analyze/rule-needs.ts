/**
 * Checking a rule's declared inputs ({@link RuleNeeds}) against what was collected, so a rule
 * never reads a hole in the collection as a fact about the cluster.
 */
import { clusterItemPath, type NodeItemKey, nodeItemPath } from '../collect/bundle/item-state.ts';
import type { NodeDatapath } from '../core/datapath-types.ts';
import type { Snapshot } from '../core/model.ts';
import { clusterItemState, nodeItemState, notCollectedText, probesItemState } from './item-lookup.ts';
import type { Rule } from './rule.ts';

/** The cluster inputs (lists, probe results) a rule needs that were not collected, and why. */
export function missingClusterInputs(
  rule: Rule,
  s: Snapshot,
  collectedNodes: readonly string[],
): { reason: string; items: string[] } | undefined {
  const reasons: string[] = [];
  const items: string[] = [];
  if ((rule.needs?.node?.length ?? 0) > 0 && collectedNodes.length === 0) {
    items.push('nodes/');
    reasons.push('node datapaths, and none was collected');
  }
  for (const key of rule.needs?.cluster ?? []) {
    const st = clusterItemState(s, key);
    if (st.state === 'collected') continue;
    const path = clusterItemPath(key);
    items.push(path);
    reasons.push(notCollectedText(path, st));
  }
  if (rule.needs?.probes) {
    const st = probesItemState(s);
    if (st.state !== 'collected') {
      items.push('probes/results.json');
      reasons.push(
        st.state === 'not-collected' && st.reason === 'unknown' && !st.detail
          ? 'probes did not run'
          : notCollectedText('probes/results.json', st),
      );
    }
  }
  return items.length === 0 ? undefined : { reason: `needs ${reasons.join('; ')}`, items };
}

/** The first node part a rule needs that was not collected on this node, as a skip reason. */
export function missingNodeInput(
  rule: Rule,
  s: Snapshot,
  dp: NodeDatapath,
): { reason: string; item: string } | undefined {
  return missingNodePart(s, dp, rule.needs?.node ?? []);
}

/**
 * The first of `keys` not collected on this node, with why (absent on the node is collected:
 * a fact; unreadable, failed or never tried is not). For rules whose node inputs depend on the
 * node (kube-proxy's mode, say) and so cannot be declared in `needs`.
 */
export function missingNodePart(
  s: Snapshot,
  dp: NodeDatapath,
  keys: readonly NodeItemKey[],
): { reason: string; item: string } | undefined {
  for (const key of keys) {
    const st = nodeItemState(s, dp, key);
    if (st.state !== 'not-collected') continue;
    const path = nodeItemPath(dp.name, key);
    const item = path.split('/').slice(2).join('/');
    return { reason: notCollectedText(path, st), item };
  }
  return undefined;
}
