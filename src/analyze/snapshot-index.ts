import { agentPods, type CniAdapter, type CniId, detectCni } from '../cni/index.ts';
import type { K8sDaemonSet, K8sEndpointSlice, K8sNode, K8sPod, K8sService } from '../core/cluster-types.ts';
import type { Snapshot } from '../core/model.ts';

/** The CNI the cluster runs, detected from its DaemonSets and pods. */
export type CniKind = CniId | 'unknown';

/**
 * Lookups built once per analysis so that rules stay linear in the snapshot's size
 * (5,000 nodes and 150,000 pods must analyze in seconds).
 */
export interface SnapshotIndex {
  cni: CniKind;
  /** The detected CNI's adapter; undefined when the CNI is unknown. */
  cniAdapter: CniAdapter | undefined;
  nodeNames: string[];
  nodeByName: Map<string, K8sNode>;
  /** Node name -> its (first IPv4) pod CIDR. */
  podCidrByNode: Map<string, string>;
  /** Node name -> InternalIP (the underlay address). */
  internalIpByNode: Map<string, string>;
  podsByNode: Map<string, K8sPod[]>;
  podByIp: Map<string, K8sPod>;
  /** `ns/name` -> pod. */
  podByKey: Map<string, K8sPod>;
  /** `key=value` -> pods carrying that label (any namespace). */
  podsByLabel: Map<string, K8sPod[]>;
  podsByNamespace: Map<string, K8sPod[]>;
  /** `ns/name` -> Service. */
  serviceByKey: Map<string, K8sService>;
  /** `ns/name` of the Service -> its EndpointSlices. */
  slicesByService: Map<string, K8sEndpointSlice[]>;
  /** The cluster DNS Service (kube-system/kube-dns), when present. */
  dnsService: K8sService | undefined;
  corednsPods: K8sPod[];
  kubeProxyPods: K8sPod[];
  /** The CNI agent DaemonSet and its pods (flannel, calico-node, cilium). */
  cniDaemonSet: K8sDaemonSet | undefined;
  cniPods: K8sPod[];
}

export function podKey(p: { metadata: { namespace?: string; name: string } }): string {
  return `${p.metadata.namespace ?? 'default'}/${p.metadata.name}`;
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

/** A node's IPv4 pod CIDR (spec.podCIDR, else the first IPv4 one of spec.podCIDRs). */
export function nodePodCidr4(n: K8sNode): string | undefined {
  return [n.spec.podCIDR, ...(n.spec.podCIDRs ?? [])].find((x): x is string => !!x && x.includes('.'));
}

/** A node's IPv4 InternalIP. */
export function nodeInternalIp4(n: K8sNode): string | undefined {
  return n.status.addresses?.find((a) => a.type === 'InternalIP' && a.address.includes('.'))?.address;
}

/** Builds every index in one pass over each list; reads cluster objects only, never `s.nodes`. */
export function buildIndex(s: Snapshot): SnapshotIndex {
  const c = s.cluster;
  const nodeByName = new Map<string, K8sNode>();
  const podCidrByNode = new Map<string, string>();
  const internalIpByNode = new Map<string, string>();
  for (const n of c.nodes) {
    const name = n.metadata.name;
    nodeByName.set(name, n);
    const cidr = nodePodCidr4(n);
    if (cidr) podCidrByNode.set(name, cidr);
    const ip = nodeInternalIp4(n);
    if (ip) internalIpByNode.set(name, ip);
  }

  const podsByNode = new Map<string, K8sPod[]>();
  const podByIp = new Map<string, K8sPod>();
  const podByKey = new Map<string, K8sPod>();
  const podsByLabel = new Map<string, K8sPod[]>();
  const podsByNamespace = new Map<string, K8sPod[]>();
  for (const p of c.pods) {
    podByKey.set(podKey(p), p);
    push(podsByNamespace, p.metadata.namespace ?? 'default', p);
    if (p.spec.nodeName) push(podsByNode, p.spec.nodeName, p);
    if (p.status.podIP && !p.spec.hostNetwork) podByIp.set(p.status.podIP, p);
    for (const [k, v] of Object.entries(p.metadata.labels ?? {})) push(podsByLabel, `${k}=${v}`, p);
  }

  const serviceByKey = new Map<string, K8sService>();
  for (const svc of c.services) serviceByKey.set(podKey(svc), svc);
  const slicesByService = new Map<string, K8sEndpointSlice[]>();
  for (const sl of c.endpointSlices) {
    const svc = sl.metadata.labels?.['kubernetes.io/service-name'];
    if (svc) push(slicesByService, `${sl.metadata.namespace ?? 'default'}/${svc}`, sl);
  }

  // The DaemonSet and pods of the detected CNI only while its agent runs; residue (a deleted
  // DaemonSet's ConfigMap or annotations) names the CNI without them.
  const detected = detectCni({ cluster: c, podsByLabel });
  const cniAdapter = detected.known ? detected.adapter : undefined;
  const cni: CniKind = cniAdapter?.id ?? 'unknown';
  const cniDaemonSet = cniAdapter
    ? c.daemonSets.find((d) => cniAdapter.agent.daemonSetNames.test(d.metadata.name))
    : undefined;
  const cniPods = cniAdapter ? agentPods(podsByLabel, cniAdapter.agent) : [];

  return {
    cni,
    cniAdapter,
    nodeNames: [...nodeByName.keys()],
    nodeByName,
    podCidrByNode,
    internalIpByNode,
    podsByNode,
    podByIp,
    podByKey,
    podsByLabel,
    podsByNamespace,
    serviceByKey,
    slicesByService,
    dnsService: serviceByKey.get('kube-system/kube-dns'),
    corednsPods: (podsByLabel.get('k8s-app=kube-dns') ?? []).filter(
      (p) => p.metadata.namespace === 'kube-system',
    ),
    kubeProxyPods: (podsByLabel.get('k8s-app=kube-proxy') ?? []).filter(
      (p) => p.metadata.namespace === 'kube-system',
    ),
    cniDaemonSet,
    cniPods,
  };
}
