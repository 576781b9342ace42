/**
 * The example cluster's fixed shape: three nodes, their pod subnets, the pods that get a real
 * network namespace, and the Services. The topology builder, the probes and the Kubernetes
 * objects all read this one description, so the recorded datapath and the API objects agree.
 */

export const NS_PREFIX = 'ndx-';
export const LAN_NS = 'ndx-lan';
export const OUTSIDE_NS = 'ndx-outside';

export const CLUSTER_CIDR = '10.244.0.0/16';
export const SERVICE_CIDR = '10.96.0.0/12';
export const LAN_GATEWAY = '192.168.77.1';
export const OUTSIDE_WEB = '203.0.113.10';
export const OUTSIDE_DNS = '203.0.113.53';
export const EXTERNAL_NAME = 'www.example.com';
export const CLUSTER_DNS_IP = '10.96.0.10';
export const KUBERNETES_SVC_IP = '10.96.0.1';
export const IN_CLUSTER_NAME = 'kubernetes.default.svc.cluster.local';

export interface NodeSpec {
  name: string;
  index: number;
  ns: string;
  ip: string;
  podCIDR: string;
  /** cni0's gateway address. */
  gateway: string;
  /** flannel.1's address (the subnet's network address, /32). */
  vtepIP: string;
  /** Name of the node's uplink port on the LAN bridge. */
  lanPort: string;
}

function node(name: string, index: number, short: string): NodeSpec {
  return {
    name,
    index,
    ns: `${NS_PREFIX}${name}`,
    ip: `192.168.77.${10 + index}`,
    podCIDR: `10.244.${index}.0/24`,
    gateway: `10.244.${index}.1`,
    vtepIP: `10.244.${index}.0`,
    lanPort: `ndx-${short}`,
  };
}

export const NODES: NodeSpec[] = [
  node('control-plane', 0, 'cp'),
  node('worker-1', 1, 'w1'),
  node('worker-2', 2, 'w2'),
];

export function nodeByName(name: string): NodeSpec {
  const n = NODES.find((x) => x.name === name);
  if (!n) throw new Error(`no node ${name}`);
  return n;
}

export type PodRole = 'coredns' | 'probe' | 'app';

/** A pod that gets its own network namespace in the mini datapath. */
export interface NetPodSpec {
  name: string;
  namespace: string;
  node: string;
  ip: string;
  role: PodRole;
  labels: Record<string, string>;
  /** The pod's network namespace, and the host-side veth name (as the bridge plugin names it). */
  ns: string;
  hostVeth: string;
  /** TCP port its HTTP server listens on (probe and app pods). */
  httpPort?: number;
}

export const COREDNS_RS = 'coredns-76f75df574';
export const STOREFRONT_RS = 'storefront-6d9f7c8b5d';

export const NET_PODS: NetPodSpec[] = [
  {
    name: `${COREDNS_RS}-8xk2p`,
    namespace: 'kube-system',
    node: 'control-plane',
    ip: '10.244.0.2',
    role: 'coredns',
    labels: { 'k8s-app': 'kube-dns', 'pod-template-hash': '76f75df574' },
    ns: 'ndx-pod-cp-dns',
    hostVeth: 'veth3f9a21c4',
  },
  {
    name: 'netdoctor-probe-control-plane',
    namespace: 'netdoctor',
    node: 'control-plane',
    ip: '10.244.0.3',
    role: 'probe',
    labels: { 'app.kubernetes.io/name': 'netdoctor-probe', 'app.kubernetes.io/managed-by': 'netdoctor' },
    ns: 'ndx-pod-cp-probe',
    hostVeth: 'veth81d0e7a2',
    httpPort: 8080,
  },
  {
    name: `${STOREFRONT_RS}-q7wz4`,
    namespace: 'shop',
    node: 'worker-1',
    ip: '10.244.1.2',
    role: 'app',
    labels: { app: 'storefront', 'pod-template-hash': '6d9f7c8b5d' },
    ns: 'ndx-pod-w1-app',
    hostVeth: 'veth5c2be019',
    httpPort: 8080,
  },
  {
    name: 'netdoctor-probe-worker-1',
    namespace: 'netdoctor',
    node: 'worker-1',
    ip: '10.244.1.3',
    role: 'probe',
    labels: { 'app.kubernetes.io/name': 'netdoctor-probe', 'app.kubernetes.io/managed-by': 'netdoctor' },
    ns: 'ndx-pod-w1-probe',
    hostVeth: 'veth0ab47d3e',
    httpPort: 8080,
  },
  {
    name: `${COREDNS_RS}-zl6mw`,
    namespace: 'kube-system',
    node: 'worker-2',
    ip: '10.244.2.2',
    role: 'coredns',
    labels: { 'k8s-app': 'kube-dns', 'pod-template-hash': '76f75df574' },
    ns: 'ndx-pod-w2-dns',
    hostVeth: 'veth9e64c1b8',
  },
  {
    name: 'netdoctor-probe-worker-2',
    namespace: 'netdoctor',
    node: 'worker-2',
    ip: '10.244.2.3',
    role: 'probe',
    labels: { 'app.kubernetes.io/name': 'netdoctor-probe', 'app.kubernetes.io/managed-by': 'netdoctor' },
    ns: 'ndx-pod-w2-probe',
    hostVeth: 'veth27f3a96d',
    httpPort: 8080,
  },
];

export const probePods = (): NetPodSpec[] => NET_PODS.filter((p) => p.role === 'probe');
export const corednsPods = (): NetPodSpec[] => NET_PODS.filter((p) => p.role === 'coredns');
export const appPod = (): NetPodSpec => NET_PODS.find((p) => p.role === 'app')!;

/** A Service the kube-proxy rules implement. */
export interface ServiceSpec {
  namespace: string;
  name: string;
  clusterIP: string;
  type: 'ClusterIP' | 'NodePort';
  selector: Record<string, string>;
  ports: { name: string; protocol: 'TCP' | 'UDP'; port: number; targetPort: number; nodePort?: number }[];
  /** Labels on the Service object. */
  labels?: Record<string, string>;
}

export const STOREFRONT_IP = '10.100.42.17';
export const STOREFRONT_NODEPORT = 30080;

export function services(storefrontSelector: Record<string, string> = { app: 'storefront' }): ServiceSpec[] {
  return [
    {
      namespace: 'default',
      name: 'kubernetes',
      clusterIP: KUBERNETES_SVC_IP,
      type: 'ClusterIP',
      selector: {},
      ports: [{ name: 'https', protocol: 'TCP', port: 443, targetPort: 6443 }],
      labels: { component: 'apiserver', provider: 'kubernetes' },
    },
    {
      namespace: 'kube-system',
      name: 'kube-dns',
      clusterIP: CLUSTER_DNS_IP,
      type: 'ClusterIP',
      selector: { 'k8s-app': 'kube-dns' },
      ports: [
        { name: 'dns', protocol: 'UDP', port: 53, targetPort: 53 },
        { name: 'dns-tcp', protocol: 'TCP', port: 53, targetPort: 53 },
        { name: 'metrics', protocol: 'TCP', port: 9153, targetPort: 9153 },
      ],
      labels: {
        'k8s-app': 'kube-dns',
        'kubernetes.io/cluster-service': 'true',
        'kubernetes.io/name': 'CoreDNS',
      },
    },
    {
      namespace: 'shop',
      name: 'storefront',
      clusterIP: STOREFRONT_IP,
      type: 'NodePort',
      selector: storefrontSelector,
      ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 8080, nodePort: STOREFRONT_NODEPORT }],
      labels: { app: 'storefront' },
    },
  ];
}
