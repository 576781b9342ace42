import { selectorMatches } from '../core/labels.ts';
import type { Direction, DirectionVerdict, NearMiss, Protocol, RuleRef } from './flow-types.ts';
import type { NormalizedPolicy, NormalizedRule } from './normalize-policy.ts';
import type { Party, PodParty } from './party.ts';
import { matchPeer } from './peer-match.ts';
import { isolatingPolicies, type PolicyIndex } from './policy-index.ts';
import { describePort, portMatches } from './port-match.ts';
import { failingRequirements } from './selector-distance.ts';

/** The flow as one direction sees it: `subject` owns the policies, `peer` is the other end. */
export interface DirectionQuery {
  direction: Direction;
  subject: PodParty;
  peer: Party;
  port: number;
  protocol: Protocol;
}

type RuleResult = { allows: true; ref: RuleRef } | { allows: false; nearMisses: NearMiss[] };

/** One rule against the flow: some peer must match and some port must match. */
export function evaluateRule(
  index: PolicyIndex,
  policy: NormalizedPolicy,
  rule: NormalizedRule,
  q: DirectionQuery,
): RuleResult {
  const ref: RuleRef = { policy: policy.ref, direction: q.direction, rule: rule.index };
  // Named ports always name a port of the destination: the subject for ingress, the peer for egress.
  const dest = q.direction === 'ingress' ? q.subject : q.peer;
  const namedPortPod = dest.kind === 'pod' ? dest.pod : undefined;

  let portIdx: number | undefined;
  let portOk = rule.ports === 'all';
  if (rule.ports !== 'all') {
    const i = rule.ports.findIndex((p) => portMatches(p, q.port, q.protocol, namedPortPod));
    if (i >= 0) {
      portOk = true;
      portIdx = i;
    }
  }

  let peerIdx: number | undefined;
  let peerOk = rule.peers === 'all';
  const peerMisses: NearMiss[] = [];
  if (rule.peers !== 'all') {
    for (let i = 0; i < rule.peers.length; i++) {
      const m = matchPeer(index, policy.ref.namespace, rule.peers[i]!, q.peer, { ...ref, peer: i });
      if (m.match) {
        peerOk = true;
        peerIdx = i;
        break;
      }
      if (m.nearMiss) peerMisses.push(m.nearMiss);
    }
  }

  if (peerOk && portOk) {
    if (peerIdx !== undefined) ref.peer = peerIdx;
    if (portIdx !== undefined) ref.port = portIdx;
    return { allows: true, ref };
  }
  if (peerOk && rule.ports !== 'all') {
    const at: RuleRef = peerIdx === undefined ? ref : { ...ref, peer: peerIdx };
    return { allows: false, nearMisses: [{ kind: 'port', at, allowedPorts: rule.ports.map(describePort) }] };
  }
  if (portOk) {
    for (const m of peerMisses) if (portIdx !== undefined) m.at.port = portIdx;
    return { allows: false, nearMisses: peerMisses };
  }
  return { allows: false, nearMisses: [] };
}

/**
 * Decides one direction for a pod. A pod that no policy of this direction selects is
 * non-isolated: everything is allowed. Otherwise the allows of all selecting policies are
 * unioned (policies never conflict, they only add), and the flow needs one rule that matches.
 */
export function evaluateDirection(index: PolicyIndex, q: DirectionQuery): DirectionVerdict {
  if (q.subject.hostNetwork) {
    return {
      verdict: 'allowed',
      reason: 'not-applicable',
      note: `${q.subject.namespace}/${q.subject.pod.metadata.name} uses the host network; NetworkPolicy does not apply to hostNetwork pods in the usual implementations (the API leaves it undefined)`,
    };
  }
  const isolating = isolatingPolicies(index, q.subject.pod, q.direction);
  if (isolating.length === 0) return { verdict: 'allowed', reason: 'not-isolated' };

  const by: RuleRef[] = [];
  const nearMisses: NearMiss[] = [];
  for (const policy of isolating) {
    for (const rule of policy.rules[q.direction]) {
      const r = evaluateRule(index, policy, rule, q);
      if (r.allows) by.push(r.ref);
      else nearMisses.push(...r.nearMisses);
    }
  }
  const refs = isolating.map((p) => p.ref);
  if (by.length > 0) return { verdict: 'allowed', reason: 'rule-allows', isolatingPolicies: refs, by };
  nearMisses.push(...policySelectorNearMisses(index, q));
  return { verdict: 'denied', reason: 'isolated-no-rule-allows', isolatingPolicies: refs, nearMisses };
}

/** Policies that would allow the flow if their spec.podSelector selected the subject: one label off. */
function policySelectorNearMisses(index: PolicyIndex, q: DirectionQuery): NearMiss[] {
  const out: NearMiss[] = [];
  for (const policy of index.policiesByNamespace.get(q.subject.namespace) ?? []) {
    if (!policy.affects[q.direction] || selectorMatches(policy.podSelector, q.subject.labels)) continue;
    const fails = failingRequirements(policy.podSelector, q.subject.labels);
    if (fails.length !== 1) continue;
    for (const rule of policy.rules[q.direction]) {
      const r = evaluateRule(index, policy, rule, q);
      if (r.allows) {
        out.push({
          kind: 'policy-selector',
          at: r.ref,
          requirement: fails[0]!.requirement,
          actual: fails[0]!.actual,
        });
        break;
      }
    }
  }
  return out;
}
