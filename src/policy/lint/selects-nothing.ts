import type { K8sPod, LabelSelector } from '../../core/cluster-types.ts';
import { selectorMatches } from '../../core/labels.ts';
import { looksLikeTypo } from '../edit-distance.ts';
import { DIRECTIONS } from '../flow-types.ts';
import type { NormalizedPolicy } from '../normalize-policy.ts';
import type { PolicyIndex } from '../policy-index.ts';
import { peerNamespaces, selectNamespaces, selectPods } from '../selection.ts';
import { describeSelector, failingRequirements } from '../selector-distance.ts';
import type { PolicyLint, SelectorLocation } from './lint-types.ts';

interface Typo {
  requirement: string;
  suggestion: string;
  wouldSelect: number;
}

/** The selector without its requirement on `key` (matchLabels pair or single-value In). */
function without(selector: LabelSelector, key: string): LabelSelector {
  const matchLabels = { ...selector.matchLabels };
  delete matchLabels[key];
  return {
    matchLabels,
    matchExpressions: (selector.matchExpressions ?? []).filter(
      (e) => !(e.key === key && e.operator === 'In'),
    ),
  };
}

/**
 * A selector that selects nothing in `scope` but would if one value were spelled like a value
 * the scope actually carries: `app: fronted` next to pods labelled `app=frontend`.
 */
function findTypo(selector: LabelSelector, scope: { labels: Record<string, string> }[]): Typo | undefined {
  for (const req of failingRequirements(selector, {})) {
    if (req.wanted === undefined) continue;
    const wanted = req.wanted;
    const relaxed = without(selector, req.key);
    const counts = new Map<string, number>();
    for (const s of scope) {
      const actual = s.labels[req.key];
      if (actual === undefined || !looksLikeTypo(wanted, actual)) continue;
      if (!selectorMatches(relaxed, s.labels)) continue;
      counts.set(actual, (counts.get(actual) ?? 0) + 1);
    }
    const best = [...counts].sort((a, b) => b[1] - a[1])[0];
    if (best)
      return { requirement: req.requirement, suggestion: `${req.key}=${best[0]}`, wouldSelect: best[1] };
  }
  return undefined;
}

function podScope(pods: K8sPod[]): { labels: Record<string, string> }[] {
  return pods.filter((p) => !p.spec.hostNetwork).map((p) => ({ labels: p.metadata.labels ?? {} }));
}

function lintFor(
  policy: NormalizedPolicy,
  where: SelectorLocation,
  selector: LabelSelector,
  typo: Typo | undefined,
): PolicyLint {
  return typo
    ? {
        kind: 'label-typo',
        severity: 'warning',
        policy: policy.ref,
        where,
        selector: describeSelector(selector),
        ...typo,
      }
    : {
        kind: 'selects-nothing',
        severity: 'info',
        policy: policy.ref,
        where,
        selector: describeSelector(selector),
      };
}

/**
 * Policies and peers that select nothing, and among them those that look like a label typo. A
 * policy selecting nothing isolates nothing and allows nothing; a peer selecting nothing is an
 * allow that never fires. Either is harmless until someone relies on it.
 */
export function lintSelectsNothing(index: PolicyIndex): PolicyLint[] {
  const out: PolicyLint[] = [];
  for (const policy of index.policies) {
    const ns = policy.ref.namespace;
    const own = new Set([ns]);
    if (selectPods(index, own, policy.podSelector, 1).length === 0) {
      const typo = findTypo(policy.podSelector, podScope(index.podsByNamespace.get(ns) ?? []));
      out.push(lintFor(policy, { at: 'podSelector' }, policy.podSelector, typo));
    }
    for (const direction of DIRECTIONS) {
      for (const rule of policy.rules[direction]) {
        if (rule.peers === 'all') continue;
        rule.peers.forEach((peer, i) => {
          if (peer.ipBlock) return;
          const base = { at: 'peer' as const, direction, rule: rule.index, peer: i };
          if (peer.namespaceSelector) {
            const nss = selectNamespaces(index, peer.namespaceSelector);
            if (nss.size === 0) {
              const scope = [...index.namespaceLabels.values()].map((labels) => ({ labels }));
              const typo = findTypo(peer.namespaceSelector, scope);
              out.push(
                lintFor(policy, { ...base, field: 'namespaceSelector' }, peer.namespaceSelector, typo),
              );
              return;
            }
          }
          const nss = peerNamespaces(index, ns, peer);
          const podSel = peer.podSelector ?? {};
          if (selectPods(index, nss, podSel, 1).length > 0) return;
          const scope = podScope([...nss].flatMap((n) => index.podsByNamespace.get(n) ?? []));
          const typo = peer.podSelector ? findTypo(peer.podSelector, scope) : undefined;
          const field =
            peer.podSelector && peer.namespaceSelector
              ? 'both'
              : peer.podSelector
                ? 'podSelector'
                : 'namespaceSelector';
          out.push(lintFor(policy, { ...base, field }, podSel, typo));
        });
      }
    }
  }
  return out;
}
