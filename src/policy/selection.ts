import type { K8sPod, LabelSelector, NetworkPolicyPeer } from '../core/cluster-types.ts';
import { selectorMatches } from '../core/labels.ts';
import type { PolicyIndex } from './policy-index.ts';

/**
 * Pods of `namespaces` that `selector` selects. Uses the label index when the selector has a
 * matchLabels pair, so a selector spanning all namespaces stays cheap on large clusters.
 */
export function selectPods(
  index: PolicyIndex,
  namespaces: ReadonlySet<string> | 'all',
  selector: LabelSelector,
  stopAfter = Number.POSITIVE_INFINITY,
): K8sPod[] {
  const out: K8sPod[] = [];
  const pairs = Object.entries(selector.matchLabels ?? {});
  let candidates: Iterable<K8sPod>;
  if (pairs.length > 0) {
    candidates =
      namespaces === 'all' ? smallest(index.podsByLabel, pairs) : scopedByLabel(index, namespaces, pairs);
  } else if (namespaces === 'all') {
    candidates = index.snapshot.cluster.pods;
  } else {
    candidates = eachNamespace(namespaces, (ns) => index.podsByNamespace.get(ns));
  }
  for (const p of candidates) {
    if (p.spec.hostNetwork) continue;
    if (namespaces !== 'all' && !namespaces.has(p.metadata.namespace ?? 'default')) continue;
    if (!selectorMatches(selector, p.metadata.labels)) continue;
    out.push(p);
    if (out.length >= stopAfter) break;
  }
  return out;
}

function smallest(byLabel: Map<string, K8sPod[]> | undefined, pairs: [string, string][]): K8sPod[] {
  let best: K8sPod[] | undefined;
  for (const [k, v] of pairs) {
    const list = byLabel?.get(`${k}=${v}`) ?? [];
    if (!best || list.length < best.length) best = list;
  }
  return best ?? [];
}

/** Candidates from the per-namespace label index when few namespaces are in scope, else the global one. */
function scopedByLabel(
  index: PolicyIndex,
  namespaces: ReadonlySet<string>,
  pairs: [string, string][],
): Iterable<K8sPod> {
  const global = smallest(index.podsByLabel, pairs);
  if (namespaces.size * 8 > global.length) return global;
  return eachNamespace(namespaces, (ns) => smallest(index.podsByNamespaceLabel.get(ns), pairs));
}

/** Lazily, so a caller that stops at the first match never materialises every namespace's pods. */
function* eachNamespace(
  namespaces: ReadonlySet<string>,
  pods: (ns: string) => K8sPod[] | undefined,
): Iterable<K8sPod> {
  for (const ns of namespaces) yield* pods(ns) ?? [];
}

/** Namespaces a namespaceSelector selects. */
export function selectNamespaces(index: PolicyIndex, selector: LabelSelector): Set<string> {
  const out = new Set<string>();
  for (const [ns, labels] of index.namespaceLabels) if (selectorMatches(selector, labels)) out.add(ns);
  return out;
}

/** The namespaces a selector peer draws pods from: selected ones, or the policy's own. */
export function peerNamespaces(
  index: PolicyIndex,
  policyNamespace: string,
  peer: NetworkPolicyPeer,
): Set<string> {
  return peer.namespaceSelector
    ? selectNamespaces(index, peer.namespaceSelector)
    : new Set([policyNamespace]);
}

/** Whether a peer can match anything at all (an ipBlock always can). */
export function peerSelectsSomething(
  index: PolicyIndex,
  policyNamespace: string,
  peer: NetworkPolicyPeer,
): boolean {
  if (peer.ipBlock) return true;
  const nss = peerNamespaces(index, policyNamespace, peer);
  if (nss.size === 0) return false;
  return selectPods(index, nss, peer.podSelector ?? {}, 1).length > 0;
}
