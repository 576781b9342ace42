/**
 * The simulated cluster's objects, as wire JSON, from a few counts. Everything carries
 * BENCH_LABEL so cleanup finds exactly what the benchmark made, and nothing is left for the
 * lab's own controllers or agents to act on (see the notes on each object).
 */

/** On every object the benchmark creates. */
export const BENCH_LABEL = 'bench.netdoctor.io/kwok';
/** The annotation kwok is told to manage nodes by. */
export const KWOK_NODE_ANNOTATION = 'kwok.x-k8s.io/node';

/** How many of each kind; `namespaces` hold the pods, Services and policies. */
export interface Sizes {
  nodes: number;
  pods: number;
  namespaces: number;
  services: number;
  policies: number;
}

export const FULL: Sizes = {
  nodes: 5_000,
  pods: 150_000,
  namespaces: 100,
  services: 5_000,
  policies: 10_000,
};
export const QUICK: Sizes = { nodes: 500, pods: 15_000, namespaces: 10, services: 500, policies: 1_000 };

const labels = { [BENCH_LABEL]: '1' };
// kube-proxy (and any other proxy) skips a Service or EndpointSlice with this label: the lab's
// three real kube-proxies must not spend the two cores on 5,000 fake Services' iptables rules.
const NOT_PROXIED = { 'service.kubernetes.io/service-proxy-name': 'netdoctor-kwok-bench' };

export const nsName = (i: number): string => `kwok-bench-${String(i).padStart(3, '0')}`;
export const nodeName = (i: number): string => `kwok-node-${String(i).padStart(5, '0')}`;

/** Addresses per node's pod CIDR: a power of two holding its pods, at least a /26. */
export function blockSize(s: Sizes): number {
  let size = 64;
  while (size < Math.ceil(s.pods / s.nodes) + 2) size *= 2;
  return size;
}

// Pod CIDRs come from 100.64.0.0/10, outside the lab's 10.244.0.0/16 (256 /24s could not give
// 5,000 nodes one each) and its node and Service networks, so no fake address shadows a real one.
const BASE = (100 << 24) | (64 << 16);
const ip = (n: number): string => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');

export function podCidr(s: Sizes, node: number): string {
  const size = blockSize(s);
  return `${ip(BASE + node * size)}/${32 - Math.log2(size)}`;
}

export function namespace(i: number): object {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name: nsName(i), labels } };
}

/**
 * A node for kwok to run. No `kubernetes.io/os` label: the lab's DaemonSets select Linux nodes,
 * so none of them gets a pod here; the NoSchedule taint keeps the scheduler's pods away too.
 */
export function node(s: Sizes, i: number): object {
  const cidr = podCidr(s, i);
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: nodeName(i),
      labels: { ...labels, type: 'kwok', 'kubernetes.io/hostname': nodeName(i) },
      annotations: { [KWOK_NODE_ANNOTATION]: 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
    },
    spec: {
      podCIDR: cidr,
      podCIDRs: [cidr],
      taints: [{ key: KWOK_NODE_ANNOTATION, value: 'fake', effect: 'NoSchedule' }],
    },
  };
}

/** Where pod `p` lives: its namespace, Service (by index within the namespace) and node. */
export function podPlace(s: Sizes, p: number): { ns: number; svc: number; node: number; slot: number } {
  const ns = p % s.namespaces;
  const inNs = Math.floor(p / s.namespaces);
  return {
    ns,
    svc: inNs % servicesIn(s, ns),
    node: p % s.nodes,
    slot: Math.floor(p / s.nodes),
  };
}

/** Services in namespace `ns`: Service `k` lives in namespace `k % namespaces`. */
export function servicesIn(s: Sizes, ns: number): number {
  return Math.max(1, Math.floor((s.services - 1 - ns) / s.namespaces) + 1);
}

/** Bound to its node already (spec.nodeName), so the scheduler never sees it; kwok runs it. */
export function pod(s: Sizes, p: number): object {
  const at = podPlace(s, p);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `pod-${p}`, namespace: nsName(at.ns), labels: { ...labels, app: `svc-${at.svc}` } },
    spec: {
      nodeName: nodeName(at.node),
      // No token volume: nothing runs, and the namespace's ServiceAccount may not exist yet.
      automountServiceAccountToken: false,
      tolerations: [{ key: KWOK_NODE_ANNOTATION, operator: 'Exists', effect: 'NoSchedule' }],
      containers: [{ name: 'app', image: 'registry.invalid/app:1', ports: [{ containerPort: 8080 }] }],
    },
  };
}

/** The address kwok would give pod `p`: the `slot`-th host of its node's pod CIDR. */
export function podAddress(s: Sizes, p: number): string {
  const at = podPlace(s, p);
  return ip(BASE + at.node * blockSize(s) + 2 + at.slot);
}

/**
 * Service `k`: no selector, so the lab's EndpointSlice controller (20 API calls a second) leaves
 * it alone and the benchmark writes its slice itself. Headless: the API server allocates
 * ClusterIPs one at a time through a bitmap of the whole /12 Service range, about 5 a second on
 * the lab's two cores, which would make 5,000 Services take a quarter of an hour; a ClusterIP
 * adds only two short fields to what netdoctor reads.
 */
export function service(s: Sizes, k: number): object {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: `svc-${Math.floor(k / s.namespaces)}`,
      namespace: nsName(k % s.namespaces),
      labels: { ...labels, ...NOT_PROXIED },
    },
    spec: {
      type: 'ClusterIP',
      clusterIP: 'None',
      ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }],
    },
  };
}

/** The one EndpointSlice of Service `k`, listing its pods (indexes from `podsOf`). */
export function endpointSlice(s: Sizes, k: number, pods: readonly number[]): object {
  const svc = `svc-${Math.floor(k / s.namespaces)}`;
  const ns = nsName(k % s.namespaces);
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: `${svc}-kwok`,
      namespace: ns,
      labels: {
        ...labels,
        ...NOT_PROXIED,
        'kubernetes.io/service-name': svc,
        'endpointslice.kubernetes.io/managed-by': 'bench.netdoctor.io',
      },
    },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: pods.map((p) => ({
      addresses: [podAddress(s, p)],
      conditions: { ready: true },
      nodeName: nodeName(podPlace(s, p).node),
      targetRef: { kind: 'Pod', namespace: ns, name: `pod-${p}` },
    })),
  };
}

/** Pod indexes per Service index, in one pass over the pods. */
export function podsOf(s: Sizes): number[][] {
  const out: number[][] = Array.from({ length: s.services }, () => []);
  for (let p = 0; p < s.pods; p++) {
    const at = podPlace(s, p);
    out[at.svc * s.namespaces + at.ns]?.push(p);
  }
  return out;
}

/**
 * Policy `q`: ingress to one Service's pods from another's on 8080, every third one with an
 * egress rule too, the shapes an application namespace's policies mostly have.
 */
export function networkPolicy(s: Sizes, q: number): object {
  const ns = q % s.namespaces;
  const n = servicesIn(s, ns);
  const local = Math.floor(q / s.namespaces);
  const target = `svc-${local % n}`;
  const from = `svc-${(local + 1) % n}`;
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: `np-${local}`, namespace: nsName(ns), labels },
    spec: {
      podSelector: { matchLabels: { app: target } },
      policyTypes: q % 3 === 0 ? ['Ingress', 'Egress'] : ['Ingress'],
      ingress: [
        { from: [{ podSelector: { matchLabels: { app: from } } }], ports: [{ protocol: 'TCP', port: 8080 }] },
      ],
      ...(q % 3 === 0
        ? {
            egress: [
              {
                to: [{ podSelector: { matchLabels: { app: from } } }],
                ports: [{ protocol: 'TCP', port: 8080 }],
              },
            ],
          }
        : {}),
    },
  };
}
