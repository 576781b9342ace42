import type { K8sPod } from '../core/cluster-types.ts';
import type { EndpointSummary } from './flow-types.ts';
import { podNamespace } from './policy-index.ts';

/** One end of a flow once resolved: a known pod, or a bare address. */
export type Party =
  | {
      kind: 'pod';
      pod: K8sPod;
      namespace: string;
      labels: Record<string, string>;
      /** Addresses ipBlock is matched against: the pod IPs (the node's IP for hostNetwork pods). */
      ips: string[];
      hostNetwork: boolean;
    }
  | { kind: 'ip'; ip: string };

export type PodParty = Extract<Party, { kind: 'pod' }>;

export function podParty(pod: K8sPod): PodParty {
  const ips = [pod.status.podIP, ...(pod.status.podIPs ?? []).map((x) => x.ip)].filter(
    (x, i, all): x is string => !!x && all.indexOf(x) === i,
  );
  if (pod.spec.hostNetwork && ips.length === 0 && pod.status.hostIP) ips.push(pod.status.hostIP);
  return {
    kind: 'pod',
    pod,
    namespace: podNamespace(pod),
    labels: pod.metadata.labels ?? {},
    ips,
    hostNetwork: pod.spec.hostNetwork === true,
  };
}

export function summarize(p: Party): EndpointSummary {
  if (p.kind === 'ip') return { kind: 'ip', ip: p.ip };
  const s: EndpointSummary = {
    kind: 'pod',
    namespace: p.namespace,
    name: p.pod.metadata.name,
    hostNetwork: p.hostNetwork,
    labels: p.labels,
  };
  if (p.ips[0]) s.ip = p.ips[0];
  if (p.pod.spec.nodeName) s.node = p.pod.spec.nodeName;
  return s;
}

export function partyIps(p: Party): string[] {
  return p.kind === 'ip' ? [p.ip] : p.ips;
}
