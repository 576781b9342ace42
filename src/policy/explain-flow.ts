import type { K8sService } from '../core/cluster-types.ts';
import { evaluateDirection } from './evaluate-direction.ts';
import type {
  DirectFlowExplanation,
  DirectionVerdict,
  Flow,
  FlowExplanation,
  IpRef,
  PodRef,
  Protocol,
  RuleRef,
  ServiceFlowExplanation,
} from './flow-types.ts';
import { type Party, podParty, summarize } from './party.ts';
import type { PolicyIndex } from './policy-index.ts';
import { resolveServiceBackends } from './service-backends.ts';

const IPBLOCK_NOTE =
  'an ipBlock matched a pod IP: the API applies ipBlock to any address, pod IPs included, and this evaluator follows it; some implementations apply ipBlock only to traffic leaving or entering the cluster';
const RESIDENT_NODE_NOTE =
  "the source is the destination pod's own node (or a hostNetwork pod on it); NetworkPolicy cannot block traffic from a pod's resident node";

function resolveParty(index: PolicyIndex, ref: PodRef | IpRef): Party | string {
  if (ref.kind === 'pod') {
    const pod = index.podByKey.get(`${ref.namespace}/${ref.name}`);
    return pod ? podParty(pod) : `pod ${ref.namespace}/${ref.name} is not in the snapshot`;
  }
  const pod = index.podByIp.get(ref.ip);
  return pod ? podParty(pod) : { kind: 'ip', ip: ref.ip };
}

/** Whether an allowing rule matched through an ipBlock peer while the other end was a pod. */
function matchedPodByIpBlock(index: PolicyIndex, v: DirectionVerdict, other: Party): boolean {
  if (v.verdict !== 'allowed' || v.reason !== 'rule-allows' || other.kind !== 'pod') return false;
  return v.by.some((r: RuleRef) => {
    if (r.peer === undefined) return false;
    const p = index.policiesByNamespace.get(r.policy.namespace)?.find((x) => x.ref.name === r.policy.name);
    const rule = p?.rules[r.direction][r.rule];
    return rule !== undefined && rule.peers !== 'all' && rule.peers[r.peer]?.ipBlock !== undefined;
  });
}

/** Decides both directions for two resolved ends. */
export function explainDirect(
  index: PolicyIndex,
  from: Party,
  to: Party,
  port: number,
  protocol: Protocol,
): DirectFlowExplanation {
  const notes: string[] = [];
  const egress: DirectionVerdict =
    from.kind === 'pod'
      ? evaluateDirection(index, { direction: 'egress', subject: from, peer: to, port, protocol })
      : {
          verdict: 'allowed',
          reason: 'not-applicable',
          note: `${from.ip} is not a pod in the snapshot; only the destination's ingress policies apply`,
        };

  let ingress: DirectionVerdict;
  if (to.kind === 'ip') {
    ingress = {
      verdict: 'allowed',
      reason: 'not-applicable',
      note: `${to.ip} is not a pod in the snapshot; only the source's egress policies apply`,
    };
  } else if (fromResidentNode(from, to)) {
    ingress = { verdict: 'allowed', reason: 'not-applicable', note: RESIDENT_NODE_NOTE };
  } else {
    ingress = evaluateDirection(index, { direction: 'ingress', subject: to, peer: from, port, protocol });
  }

  if (matchedPodByIpBlock(index, egress, to) || matchedPodByIpBlock(index, ingress, from))
    notes.push(IPBLOCK_NOTE);
  for (const p of [from, to]) {
    if (p.kind === 'pod' && p.hostNetwork) {
      notes.push(
        `${p.namespace}/${p.pod.metadata.name} uses the host network: policies neither isolate it nor match it by pod or namespace selector (only ipBlock, by its node's IP); the API leaves hostNetwork pods undefined and this is the common implementation`,
      );
    }
  }
  return {
    kind: 'direct',
    verdict: egress.verdict === 'allowed' && ingress.verdict === 'allowed' ? 'allowed' : 'denied',
    from: summarize(from),
    to: summarize(to),
    port,
    protocol,
    egress,
    ingress,
    notes,
  };
}

function fromResidentNode(from: Party, to: Extract<Party, { kind: 'pod' }>): boolean {
  const node = to.pod.spec.nodeName;
  if (from.kind === 'pod') return from.hostNetwork && !!node && from.pod.spec.nodeName === node;
  return !!to.pod.status.hostIP && from.ip === to.pod.status.hostIP;
}

function explainService(
  index: PolicyIndex,
  from: Party,
  svc: K8sService,
  port: number,
  protocol: Protocol,
): FlowExplanation {
  const r = resolveServiceBackends(index, svc, port, protocol);
  if (!r.ok) return { kind: 'unresolved', verdict: 'unknown', reason: r.reason };
  const backends = r.backends.map((b) => explainDirect(index, from, b.party, b.targetPort, protocol));
  const allowed = backends.filter((b) => b.verdict === 'allowed').length;
  const verdict: ServiceFlowExplanation['verdict'] =
    backends.length === 0
      ? 'no-backends'
      : allowed === backends.length
        ? 'allowed'
        : allowed === 0
          ? 'denied'
          : 'partial';
  const service: ServiceFlowExplanation['service'] = {
    namespace: svc.metadata.namespace ?? 'default',
    name: svc.metadata.name,
  };
  if (svc.spec.clusterIP) service.clusterIP = svc.spec.clusterIP;
  return {
    kind: 'service',
    verdict,
    service,
    port,
    protocol,
    backends,
    notes: [
      'judged against each backing pod at its targetPort: NetworkPolicy sees the packet after the Service address is translated',
      ...r.notes,
    ],
  };
}

/**
 * Explains a flow: egress at the source and ingress at the destination, each allowed or denied
 * with the deciding policies and rules, plus near-misses. A Service (by reference or by its
 * ClusterIP) is judged against each of its backends. Pure: reads only the index.
 */
export function explainFlow(index: PolicyIndex, flow: Flow): FlowExplanation {
  const from = resolveParty(index, flow.from);
  if (typeof from === 'string') return { kind: 'unresolved', verdict: 'unknown', reason: from };
  const to = flow.to;
  if (to.kind === 'service') {
    const svc = index.serviceByKey.get(`${to.namespace}/${to.name}`);
    if (!svc) {
      return {
        kind: 'unresolved',
        verdict: 'unknown',
        reason: `Service ${to.namespace}/${to.name} is not in the snapshot`,
      };
    }
    return explainService(index, from, svc, flow.port, flow.protocol);
  }
  if (to.kind === 'ip') {
    const svc = index.serviceByClusterIp.get(to.ip);
    if (svc && !index.podByIp.has(to.ip)) return explainService(index, from, svc, flow.port, flow.protocol);
  }
  const dest = resolveParty(index, to);
  if (typeof dest === 'string') return { kind: 'unresolved', verdict: 'unknown', reason: dest };
  return explainDirect(index, from, dest, flow.port, flow.protocol);
}
