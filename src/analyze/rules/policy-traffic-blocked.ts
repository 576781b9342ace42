import type { Evidence, Finding, Subject } from '../../core/model.ts';
import { explainFlow } from '../../policy/explain-flow.ts';
import type {
  DirectFlowExplanation,
  DirectionVerdict,
  FlowExplanation,
  PolicyRef,
} from '../../policy/flow-types.ts';
import { policyIndexFor } from '../../policy/policy-index.ts';
import { probeFlow } from '../../policy/probe-flow.ts';
import { describeNearMiss } from '../../policy/render-explanation.ts';
import { causeFinding } from '../finding.ts';
import type { Rule } from '../rule.ts';

/** A human decides which allow to add; the step prints the minimal policy that would admit the flow. */
const ADD_POLICY_ALLOW = 'add-policy-allow';

type Denied = Extract<DirectionVerdict, { verdict: 'denied' }>;

interface Blocked {
  subject: Subject;
  direction: 'egress' | 'ingress';
  verdict: Denied;
  evidence: Evidence[];
  probes: string[];
}

/** The denied backends of a denied flow (every backend, for a Service: partial is not claimed). */
function deniedDirects(e: FlowExplanation): DirectFlowExplanation[] {
  if (e.kind === 'direct') return e.verdict === 'denied' ? [e] : [];
  if (e.kind === 'service') return e.verdict === 'denied' ? e.backends : [];
  return [];
}

function podSubject(ep: DirectFlowExplanation['from']): Subject | undefined {
  return ep.kind === 'pod' ? { kind: 'Pod', namespace: ep.namespace, name: ep.name } : undefined;
}

function deciding(policies: PolicyRef[], fallback: Subject | undefined): Subject | undefined {
  const only = policies.length === 1 ? policies[0] : undefined;
  return only ? { kind: 'NetworkPolicy', namespace: only.namespace, name: only.name } : fallback;
}

/**
 * A probe that should pass failed, and the policy evaluator denies the very same flow: the
 * policy is why. Conservative by design: only probes policy can decide (TCP/UDP with a port),
 * only flows denied to every backend, and DNS denied at the source's egress is left to
 * policy.dns-egress-blocked.
 */
export const policyTrafficBlocked: Rule = {
  id: 'policy-traffic-blocked',
  layer: 'policy',
  needs: { cluster: ['networkPolicies', 'pods', 'namespaces'] },
  title: 'Failing probes are not explained by NetworkPolicy',
  why: 'When a policy drops a flow nothing logs it; naming the policy (or the missing allow) ends the hunt through the datapath.',
  appliesTo: ({ snapshot }) =>
    snapshot.cluster.networkPolicies.length === 0
      ? { applies: false, reason: 'no NetworkPolicies in the snapshot' }
      : !snapshot.probes
        ? { applies: false, reason: 'no probe results in the snapshot' }
        : { applies: true },
  run: ({ snapshot }) => {
    const index = policyIndexFor(snapshot);
    const bySubject = new Map<string, Blocked>();
    for (const probe of snapshot.probes?.results ?? []) {
      if (probe.expect !== 'pass' || probe.outcome.status !== 'fail') continue;
      const flow = probeFlow(probe);
      if (!flow) continue;
      const isDns = probe.scenario === 'dns-udp' || probe.scenario === 'dns-tcp';
      for (const d of deniedDirects(explainFlow(index, flow))) {
        const sides: ['egress' | 'ingress', DirectionVerdict][] = [
          ['egress', d.egress],
          ['ingress', d.ingress],
        ];
        for (const [direction, v] of sides) {
          if (v.verdict !== 'denied') continue;
          if (isDns && direction === 'egress') continue;
          const subject = deciding(v.isolatingPolicies, podSubject(direction === 'egress' ? d.from : d.to));
          if (!subject) continue;
          const key = `${subject.kind}/${subject.namespace ?? ''}/${subject.name}/${direction}`;
          let b = bySubject.get(key);
          if (!b) {
            b = { subject, direction, verdict: v, evidence: [], probes: [] };
            bySubject.set(key, b);
          }
          if (b.probes.includes(probe.id)) continue;
          b.probes.push(probe.id);
          const from = d.from.kind === 'pod' ? `${d.from.namespace}/${d.from.name}` : d.from.ip;
          const to = d.to.kind === 'pod' ? `${d.to.namespace}/${d.to.name}` : d.to.ip;
          b.evidence.push({
            source: `probes/results.json#${probe.id}`,
            observed: `${probe.scenario} ${from} -> ${to} ${d.port}/${d.protocol} failed (${probe.outcome.error})`,
            expected: 'pass',
          });
        }
      }
    }
    const out: Finding[] = [];
    for (const b of bySubject.values()) {
      const names = b.verdict.isolatingPolicies.map((p) => `${p.namespace}/${p.name}`).join(', ');
      const evidence: Evidence[] = [
        {
          source: 'cluster/networkpolicies.json',
          observed: `${b.direction} isolated by ${names}; no rule allows the probed flow${b.probes.length > 1 ? 's' : ''}`,
          expected: `a ${b.direction} rule admitting the flow`,
        },
        ...b.verdict.nearMisses.slice(0, 3).map((m) => ({
          source: 'cluster/networkpolicies.json',
          observed: `near miss: ${describeNearMiss(m)}`,
        })),
        ...b.evidence,
      ];
      out.push(
        causeFinding(
          policyTrafficBlocked,
          {
            subject: b.subject,
            severity: 'error',
            summary: `NetworkPolicy ${names} denies ${b.direction} for ${b.probes.length} failing probe${b.probes.length > 1 ? 's' : ''}; no rule allows the flow`,
            evidence,
            detail: b.direction,
            nextCommands: [
              `kubectl -n ${b.verdict.isolatingPolicies[0]?.namespace ?? 'default'} get networkpolicy -o yaml`,
            ],
          },
          { category: 'policy.traffic-blocked', confidence: 0.85, remediation: [ADD_POLICY_ALLOW] },
        ),
      );
    }
    return out;
  },
};
