import type { PlanInput, PlanNode, PlannedProbe } from '../types.ts';

/**
 * DNS probes of one transport: the cluster name and the external name (when configured), each
 * sent to the kube-dns ClusterIP and to every CoreDNS pod directly, so a failure through the
 * Service can be told apart from a failure of the pods themselves.
 */
export function dnsProbes(input: PlanInput, from: PlanNode, proto: 'udp' | 'tcp'): PlannedProbe[] {
  const scenario = proto === 'udp' ? 'dns-udp' : 'dns-tcp';
  const names = [input.clusterName, ...(input.externalName ? [input.externalName] : [])];
  const out: PlannedProbe[] = [];
  const svc = input.dnsService;
  if (!svc && input.dnsPods.length === 0) {
    return [
      {
        scenario,
        from: from.name,
        to: 'kube-dns',
        target: { kind: 'fixed', ip: '' },
        command: { kind: 'dns', name: input.clusterName, proto },
        protocol: proto,
        name: input.clusterName,
        skip: 'no cluster DNS Service or CoreDNS pod found',
      },
    ];
  }
  for (const name of names) {
    const suffix = name === input.clusterName ? '' : `/${name}`;
    if (svc) {
      out.push({
        scenario,
        from: from.name,
        to: `${svc.name}${suffix}`,
        target: { kind: 'fixed', ip: svc.clusterIP, namespace: svc.namespace },
        command: { kind: 'dns', name, proto },
        protocol: proto,
        name,
      });
    }
    for (const pod of input.dnsPods) {
      out.push({
        scenario,
        from: from.name,
        to: `${pod.name}${suffix}`,
        target: {
          kind: 'fixed',
          ip: pod.ip,
          pod: pod.name,
          namespace: pod.namespace,
          ...(pod.node ? { node: pod.node } : {}),
        },
        command: { kind: 'dns', name, proto },
        protocol: proto,
        name,
      });
    }
  }
  return out;
}
