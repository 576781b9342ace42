import type { NetworkPolicyPeer } from '../core/cluster-types.ts';
import { selectorMatches } from '../core/labels.ts';
import type { NearMiss, RuleRef } from './flow-types.ts';
import { matchIpBlock } from './ip-block.ts';
import { type Party, partyIps } from './party.ts';
import { namespaceLabelsOf, type PolicyIndex } from './policy-index.ts';
import { failingRequirements } from './selector-distance.ts';

export type PeerMatch = { match: true } | { match: false; nearMiss?: NearMiss };

/**
 * One NetworkPolicyPeer against the other end of the flow.
 *
 * - ipBlock is matched against any address, pod IPs included, as the API documents. Some
 *   implementations only apply ipBlock to traffic from or to outside the cluster; this
 *   evaluator follows the spec and the explanation says so when it matters.
 * - podSelector alone: pods in the policy's own namespace. namespaceSelector alone: every pod of
 *   the selected namespaces. Both in one peer: pods matching both (AND).
 * - Selectors never match hostNetwork pods or bare addresses: most implementations cannot tell
 *   a hostNetwork pod's traffic from its node's, so only ipBlock can match it.
 */
export function matchPeer(
  index: PolicyIndex,
  policyNamespace: string,
  peer: NetworkPolicyPeer,
  party: Party,
  at: RuleRef,
): PeerMatch {
  if (peer.ipBlock) {
    let excepted: string | undefined;
    for (const ip of partyIps(party)) {
      const m = matchIpBlock(peer.ipBlock, ip);
      if (m.match === 'in') return { match: true };
      if (m.match === 'excepted') excepted = m.except;
    }
    return excepted === undefined
      ? { match: false }
      : { match: false, nearMiss: { kind: 'ip-excepted', at, cidr: peer.ipBlock.cidr, except: excepted } };
  }
  if (party.kind === 'ip' || party.hostNetwork) return { match: false };
  const nsLabels = namespaceLabelsOf(index, party.namespace);
  const nsOk = peer.namespaceSelector
    ? selectorMatches(peer.namespaceSelector, nsLabels)
    : party.namespace === policyNamespace;
  const podOk = peer.podSelector ? selectorMatches(peer.podSelector, party.labels) : true;
  if (nsOk && podOk) return { match: true };

  // Near-miss: exactly one thing stands between this peer and a match.
  const podFails = podOk || !peer.podSelector ? [] : failingRequirements(peer.podSelector, party.labels);
  if (nsOk && podFails.length === 1) {
    const f = podFails[0]!;
    return {
      match: false,
      nearMiss: { kind: 'label', at, selector: 'podSelector', requirement: f.requirement, actual: f.actual },
    };
  }
  if (podOk && !nsOk) {
    if (!peer.namespaceSelector) {
      return { match: false, nearMiss: { kind: 'namespace', at, peerNamespace: party.namespace } };
    }
    const nsFails = failingRequirements(peer.namespaceSelector, nsLabels);
    if (nsFails.length === 1) {
      const f = nsFails[0]!;
      return {
        match: false,
        nearMiss: {
          kind: 'label',
          at,
          selector: 'namespaceSelector',
          requirement: f.requirement,
          actual: f.actual,
        },
      };
    }
  }
  return { match: false };
}
