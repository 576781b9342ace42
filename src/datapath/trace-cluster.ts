/**
 * The cluster-side facts the tracer needs, looked up once per trace: which node owns a pod
 * subnet, each node's underlay address and VTEP (as the CNI's adapter reads them), and how a query's `from`/`to` words
 * resolve to pods, Services and addresses.
 */

import { type CniAdapter, cniOf, DEFAULT_CNI } from '../cni/index.ts';
import type { K8sNode, K8sPod, K8sService } from '../core/cluster-types.ts';
import { NetdoctorError } from '../core/errors.ts';
import type { Snapshot } from '../core/model.ts';
import { cidrContains, isIp } from '../core/net/cidr.ts';

export interface NodeFacts {
  name: string;
  podCidr?: string;
  /** The address peers send VXLAN to: flannel's public-ip annotation, else the InternalIP. */
  underlayIp?: string;
  vtepMac?: string;
}

export interface ClusterView {
  /** The cluster's CNI (its default when unknown): its bridge, overlay device and node records. */
  cni: CniAdapter;
  nodes: Map<string, NodeFacts>;
  podByKey: Map<string, K8sPod>;
  podByIp: Map<string, K8sPod>;
  serviceByKey: Map<string, K8sService>;
  serviceByIp: Map<string, K8sService>;
}

export function buildClusterView(snapshot: Snapshot): ClusterView {
  const detected = cniOf(snapshot);
  const cni = detected.known ? detected.adapter : DEFAULT_CNI;
  const nodes = new Map<string, NodeFacts>();
  for (const n of snapshot.cluster.nodes) nodes.set(n.metadata.name, nodeFacts(n, cni));
  const podByKey = new Map<string, K8sPod>();
  const podByIp = new Map<string, K8sPod>();
  for (const p of snapshot.cluster.pods) {
    podByKey.set(`${p.metadata.namespace ?? 'default'}/${p.metadata.name}`, p);
    // hostNetwork pods share the node's address; they do not identify it.
    if (p.status.podIP && !p.spec.hostNetwork) podByIp.set(p.status.podIP, p);
  }
  const serviceByKey = new Map<string, K8sService>();
  const serviceByIp = new Map<string, K8sService>();
  for (const s of snapshot.cluster.services) {
    serviceByKey.set(`${s.metadata.namespace ?? 'default'}/${s.metadata.name}`, s);
    const ip = s.spec.clusterIP;
    if (ip && ip !== 'None') serviceByIp.set(ip, s);
  }
  return { cni, nodes, podByKey, podByIp, serviceByKey, serviceByIp };
}

function nodeFacts(n: K8sNode, cni: CniAdapter): NodeFacts {
  const f: NodeFacts = { name: n.metadata.name };
  const cidr = n.spec.podCIDR ?? n.spec.podCIDRs?.find((c) => !c.includes(':'));
  if (cidr) f.podCidr = cidr;
  const internal = n.status.addresses?.find(
    (a) => a.type === 'InternalIP' && !a.address.includes(':'),
  )?.address;
  // A garbled VTEP record leaves the expected MAC unknown; the trace says so.
  const recorded = cni.nodeOverlayFacts(n);
  const underlay = recorded.underlayIp ?? internal;
  if (underlay) f.underlayIp = underlay;
  if (recorded.vtepMac) f.vtepMac = recorded.vtepMac;
  return f;
}

/** The node whose pod subnet holds `ip`. */
export function nodeOwningPodIp(view: ClusterView, ip: string): NodeFacts | undefined {
  for (const n of view.nodes.values()) if (n.podCidr && cidrContains(n.podCidr, ip)) return n;
  return undefined;
}

/** The node whose underlay (or InternalIP) address is `ip`. */
export function nodeWithUnderlayIp(view: ClusterView, ip: string): NodeFacts | undefined {
  for (const n of view.nodes.values()) if (n.underlayIp === ip) return n;
  return undefined;
}

export interface ResolvedEndpoint {
  input: string;
  ip: string;
  node?: string;
  pod?: K8sPod;
  podKey?: string;
  service?: K8sService;
  serviceKey?: string;
  hostNetwork: boolean;
}

/** Resolves `ns/pod`, `svc/NS/NAME` or an IP. Unknown names are usage errors. */
export function resolveEndpoint(view: ClusterView, input: string, allowService: boolean): ResolvedEndpoint {
  if (input.startsWith('svc/')) {
    if (!allowService) throw new NetdoctorError('usage', `--from cannot be a Service: ${input}`);
    const key = input.slice(4);
    const svc = view.serviceByKey.get(key);
    if (!svc)
      throw new NetdoctorError('usage', `no Service ${key} in the bundle`, {
        suggestions: ['svc/NAMESPACE/NAME'],
      });
    const ip = svc.spec.clusterIP;
    if (!ip || ip === 'None')
      throw new NetdoctorError('usage', `Service ${key} has no ClusterIP (headless or ExternalName)`);
    return { input, ip, service: svc, serviceKey: key, hostNetwork: false };
  }
  if (isIp(input)) {
    const svc = allowService ? view.serviceByIp.get(input) : undefined;
    if (svc) {
      const key = `${svc.metadata.namespace ?? 'default'}/${svc.metadata.name}`;
      return { input, ip: input, service: svc, serviceKey: key, hostNetwork: false };
    }
    const pod = view.podByIp.get(input);
    if (pod) return podEndpoint(input, pod);
    const host = nodeWithUnderlayIp(view, input);
    if (host) return { input, ip: input, node: host.name, hostNetwork: true };
    const owner = nodeOwningPodIp(view, input);
    return { input, ip: input, ...(owner ? { node: owner.name } : {}), hostNetwork: false };
  }
  const slash = input.indexOf('/');
  if (slash > 0 && input.indexOf('/', slash + 1) === -1) {
    const pod = view.podByKey.get(input);
    if (!pod)
      throw new NetdoctorError('usage', `no pod ${input} in the bundle`, {
        suggestions: ['NAMESPACE/POD, an IP, or svc/NAMESPACE/NAME'],
      });
    return podEndpoint(input, pod);
  }
  throw new NetdoctorError('usage', `cannot read "${input}" as a pod, an IP or a Service`, {
    suggestions: ['NAMESPACE/POD', '10.244.1.5', 'svc/kube-system/kube-dns'],
  });
}

function podEndpoint(input: string, pod: K8sPod): ResolvedEndpoint {
  const podKey = `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name}`;
  const ip = pod.status.podIP ?? '';
  return {
    input,
    ip,
    pod,
    podKey,
    ...(pod.spec.nodeName ? { node: pod.spec.nodeName } : {}),
    hostNetwork: pod.spec.hostNetwork === true,
  };
}
