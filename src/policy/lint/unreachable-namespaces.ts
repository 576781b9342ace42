import type { NormalizedPolicy } from '../normalize-policy.ts';
import { isolatingPolicies, type PolicyIndex } from '../policy-index.ts';
import { peerSelectsSomething } from '../selection.ts';
import type { PolicyLint } from './lint-types.ts';

/** Whether any ingress rule of these policies can admit anything at all. */
function admitsSomething(
  index: PolicyIndex,
  policies: NormalizedPolicy[],
  memo: Map<NormalizedPolicy, boolean>,
): boolean {
  return policies.some((p) => {
    let v = memo.get(p);
    if (v === undefined) {
      v = p.rules.ingress.some(
        (r) =>
          r.peers === 'all' || r.peers.some((peer) => peerSelectsSomething(index, p.ref.namespace, peer)),
      );
      memo.set(p, v);
    }
    return v;
  });
}

/**
 * Namespaces where every pod is isolated for ingress and no rule admits traffic from anywhere:
 * nothing can reach them (except their own nodes). Sometimes a deliberate quarantine, more
 * often a default-deny whose allow policies were never applied or select nothing.
 */
export function lintUnreachableNamespaces(index: PolicyIndex): PolicyLint[] {
  const out: PolicyLint[] = [];
  const memo = new Map<NormalizedPolicy, boolean>();
  for (const ns of index.namespaces) {
    if (!index.policiesByNamespace.has(ns)) continue;
    const pods = (index.podsByNamespace.get(ns) ?? []).filter(
      (p) => !p.spec.hostNetwork && p.status.phase !== 'Succeeded' && p.status.phase !== 'Failed',
    );
    if (pods.length === 0) continue;
    const policies = new Map<string, NormalizedPolicy>();
    let unreachable = true;
    for (const p of pods) {
      const iso = isolatingPolicies(index, p, 'ingress');
      if (iso.length === 0 || admitsSomething(index, iso, memo)) {
        unreachable = false;
        break;
      }
      for (const x of iso) policies.set(x.ref.name, x);
    }
    if (!unreachable) continue;
    out.push({
      kind: 'namespace-unreachable',
      severity: 'warning',
      namespace: ns,
      isolatingPolicies: [...policies.values()]
        .map((p) => p.ref)
        .sort((a, b) => a.name.localeCompare(b.name)),
      pods: pods.length,
    });
  }
  return out;
}
