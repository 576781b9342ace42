import type { K8sPod } from '../../core/cluster-types.ts';
import { explainFlow } from '../explain-flow.ts';
import type { IpRef, PodRef, PolicyRef, Protocol, ServiceRef } from '../flow-types.ts';
import { isolatingPolicies, type PolicyIndex, podNamespace } from '../policy-index.ts';
import type { PolicyLint } from './lint-types.ts';

/** The conventional cluster DNS address (kubeadm's default service CIDR), used when nothing better is known. */
export const DEFAULT_CLUSTER_DNS_IP = '10.96.0.10';

export interface DnsTarget {
  targets: (ServiceRef | PodRef | IpRef)[];
  description: string;
}

/** Where cluster DNS lives: the kube-dns Service, else the CoreDNS pods, else 10.96.0.10. */
export function clusterDnsTarget(index: PolicyIndex): DnsTarget {
  const svc = index.serviceByKey.get('kube-system/kube-dns');
  if (svc) {
    return {
      targets: [{ kind: 'service', namespace: 'kube-system', name: 'kube-dns' }],
      description: `Service kube-system/kube-dns${svc.spec.clusterIP ? ` (${svc.spec.clusterIP})` : ''}`,
    };
  }
  const pods = (index.podsByLabel.get('k8s-app=kube-dns') ?? []).filter(
    (p) => podNamespace(p) === 'kube-system',
  );
  if (pods.length > 0) {
    return {
      targets: pods.map((p) => ({ kind: 'pod', namespace: 'kube-system', name: p.metadata.name })),
      description: `the CoreDNS pods (${pods.map((p) => p.metadata.name).join(', ')})`,
    };
  }
  return { targets: [{ kind: 'ip', ip: DEFAULT_CLUSTER_DNS_IP }], description: DEFAULT_CLUSTER_DNS_IP };
}

/**
 * Whether `pod`'s egress stops DNS on `protocol`: denied towards every DNS backend. `undefined`
 * when DNS does not serve that protocol or has no backends (then it is not policy's doing).
 */
export function dnsEgressDenied(
  index: PolicyIndex,
  pod: K8sPod,
  dns: DnsTarget,
  protocol: Protocol,
): boolean | undefined {
  const from: PodRef = { kind: 'pod', namespace: podNamespace(pod), name: pod.metadata.name };
  const verdicts: boolean[] = [];
  for (const to of dns.targets) {
    const e = explainFlow(index, { from, to, port: 53, protocol });
    if (e.kind === 'direct') verdicts.push(e.egress.verdict === 'denied');
    else if (e.kind === 'service') for (const b of e.backends) verdicts.push(b.egress.verdict === 'denied');
  }
  if (verdicts.length === 0) return undefined;
  return verdicts.every(Boolean);
}

/** A pod whose lookups matter: on the pod network, not finished, and not being deleted. */
function isCandidate(p: K8sPod): boolean {
  return (
    !p.spec.hostNetwork &&
    p.status.phase !== 'Succeeded' &&
    p.status.phase !== 'Failed' &&
    p.metadata.deletionTimestamp === undefined
  );
}

/**
 * Namespaces whose pods are isolated for egress with no rule letting them reach cluster DNS on
 * 53 (seed 003: a default-deny egress without the DNS allowance). Egress verdicts depend only
 * on the set of isolating policies, so pods are grouped by it and one per group is evaluated.
 */
export function lintDnsEgress(index: PolicyIndex): PolicyLint[] {
  const dns = clusterDnsTarget(index);
  const out: PolicyLint[] = [];
  for (const ns of index.namespaces) {
    // A namespace on its way out takes its policies with it: a deny-all there is no outage.
    if (index.terminatingNamespaces.has(ns)) continue;
    const groups = new Map<string, { policies: PolicyRef[]; pods: K8sPod[] }>();
    for (const p of index.podsByNamespace.get(ns) ?? []) {
      if (!isCandidate(p)) continue;
      const iso = isolatingPolicies(index, p, 'egress');
      if (iso.length === 0) continue;
      const key = iso.map((x) => x.ref.name).join('\u0000');
      const g = groups.get(key);
      if (g) g.pods.push(p);
      else groups.set(key, { policies: iso.map((x) => x.ref), pods: [p] });
    }
    const blockedPods: string[] = [];
    const policies = new Map<string, PolicyRef>();
    const denied = new Set<Protocol>();
    for (const g of groups.values()) {
      const rep = g.pods[0]!;
      const protos = (['UDP', 'TCP'] as const).filter(
        (proto) => dnsEgressDenied(index, rep, dns, proto) === true,
      );
      if (protos.length === 0) continue;
      for (const proto of protos) denied.add(proto);
      for (const p of g.pods) blockedPods.push(p.metadata.name);
      for (const r of g.policies) policies.set(r.name, r);
    }
    if (blockedPods.length === 0) continue;
    out.push({
      kind: 'dns-egress-blocked',
      severity: denied.has('UDP') ? 'error' : 'warning',
      namespace: ns,
      isolatingPolicies: [...policies.values()].sort((a, b) => a.name.localeCompare(b.name)),
      pods: blockedPods.sort(),
      deniedProtocols: (['UDP', 'TCP'] as const).filter((p) => denied.has(p)),
      dnsTarget: dns.description,
    });
  }
  return out;
}
