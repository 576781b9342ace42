import type { ProbeResult } from '../core/probe-types.ts';
import type { Flow, IpRef, PodRef, Protocol, ServiceRef } from './flow-types.ts';

/**
 * The flow a probe exercised, when it is one policy can decide: TCP/UDP probes with a known
 * source, destination and port. ICMP, MTU and NodePort probes give `undefined` (ICMP has no
 * port to judge; NodePort traffic passes node-level translation whose order with policy is
 * implementation-defined).
 */
export function probeFlow(p: ProbeResult): Flow | undefined {
  let protocol: Protocol;
  let port = p.to.port;
  switch (p.scenario) {
    case 'dns-udp':
      protocol = 'UDP';
      port ??= 53;
      break;
    case 'dns-tcp':
      protocol = 'TCP';
      port ??= 53;
      break;
    case 'pod-to-pod-tcp':
    case 'service-clusterip':
    case 'external':
      protocol = p.protocol === 'udp' ? 'UDP' : 'TCP';
      break;
    default:
      return undefined;
  }
  if (port === undefined) return undefined;
  let from: PodRef | IpRef;
  if (p.from.namespace && p.from.pod) from = { kind: 'pod', namespace: p.from.namespace, name: p.from.pod };
  else if (p.from.ip) from = { kind: 'ip', ip: p.from.ip };
  else return undefined;
  let to: PodRef | IpRef | ServiceRef;
  if (p.to.namespace && p.to.pod) to = { kind: 'pod', namespace: p.to.namespace, name: p.to.pod };
  else if (p.to.ip) to = { kind: 'ip', ip: p.to.ip };
  else if (p.scenario.startsWith('dns-'))
    to = { kind: 'service', namespace: 'kube-system', name: 'kube-dns' };
  else if (p.scenario === 'service-clusterip' && p.to.namespace && p.to.name) {
    to = { kind: 'service', namespace: p.to.namespace, name: p.to.name };
  } else return undefined;
  return { from, to, port, protocol };
}
