import type {
  K8sNetworkPolicy,
  LabelSelector,
  NetworkPolicyPeer,
  NetworkPolicyPort,
} from '../core/cluster-types.ts';
import type { Direction, PolicyRef } from './flow-types.ts';

/** One ingress or egress rule with the spec's "empty or missing means all" made explicit. */
export interface NormalizedRule {
  index: number;
  /** `'all'`: the rule has no from/to (or an empty list), so every peer matches. */
  peers: 'all' | NetworkPolicyPeer[];
  /** `'all'`: the rule has no ports (or an empty list), so every port and protocol matches. */
  ports: 'all' | NetworkPolicyPort[];
}

/** A NetworkPolicy with its defaults applied, as evaluation needs it. */
export interface NormalizedPolicy {
  ref: PolicyRef;
  podSelector: LabelSelector;
  /** Which directions this policy isolates the pods it selects for (effective policyTypes). */
  affects: Record<Direction, boolean>;
  rules: Record<Direction, NormalizedRule[]>;
  source: K8sNetworkPolicy;
}

function normalizeRules(
  rules: { from?: NetworkPolicyPeer[]; to?: NetworkPolicyPeer[]; ports?: NetworkPolicyPort[] }[] | undefined,
  peerField: 'from' | 'to',
): NormalizedRule[] {
  return (rules ?? []).map((r, index) => {
    const peers = r[peerField];
    return {
      index,
      peers: peers && peers.length > 0 ? peers : 'all',
      ports: r.ports && r.ports.length > 0 ? r.ports : 'all',
    };
  });
}

/**
 * Applies the API server's defaulting (networking/v1 `SetDefaults_NetworkPolicy`): without
 * policyTypes a policy always affects Ingress, and Egress only when it has at least one egress
 * rule. With policyTypes, rules of a direction not listed are ignored.
 */
export function normalizePolicy(p: K8sNetworkPolicy): NormalizedPolicy {
  const types = p.spec.policyTypes;
  const affects: Record<Direction, boolean> = types
    ? { ingress: types.includes('Ingress'), egress: types.includes('Egress') }
    : { ingress: true, egress: (p.spec.egress?.length ?? 0) > 0 };
  return {
    ref: { namespace: p.metadata.namespace ?? 'default', name: p.metadata.name },
    podSelector: p.spec.podSelector ?? {},
    affects,
    rules: {
      ingress: affects.ingress ? normalizeRules(p.spec.ingress, 'from') : [],
      egress: affects.egress ? normalizeRules(p.spec.egress, 'to') : [],
    },
    source: p,
  };
}
