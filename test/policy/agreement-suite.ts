/**
 * The agreement suite: a small cluster, 14 policies and every (source, destination, port,
 * protocol) combination between its pods, with the verdict netdoctor's evaluator gives. The
 * lab test applies it to the real cluster (kube-router's policy controller), starts a listener
 * on every declared port, probes each case and compares: a disagreement is a failing test.
 *
 * Data only. Addresses are unknown until pods are scheduled, so ipBlock CIDRs are templates:
 * `{podCidr}` (the cluster's pod network) and `{pod:NS/NAME}` (that pod's IP); call
 * `materializePolicies` with the real values. Expected verdicts do not depend on them as long
 * as every pod IP lies in `{podCidr}`.
 *
 * Note on ipBlock: two policies below match pod IPs with ipBlock. The API applies ipBlock to
 * any address; some implementations only to cluster-external traffic. kube-router matches the
 * packet's address, which agrees with the spec here.
 */
import type { ContainerPort, K8sNetworkPolicy } from '../../src/core/cluster-types.ts';
import type { Protocol } from '../../src/policy/flow-types.ts';

export interface SuiteNamespace {
  name: string;
  labels: Record<string, string>;
}
export interface SuitePod {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  ports: ContainerPort[];
}
export interface AgreementCase {
  /** `from>to:port/PROTO`, stable. */
  id: string;
  from: string;
  to: string;
  port: number;
  protocol: Protocol;
}

export const SUITE_NAMESPACES: SuiteNamespace[] = [
  { name: 'nd-shop', labels: { team: 'shop', env: 'prod' } },
  { name: 'nd-pay', labels: { team: 'pay', env: 'prod' } },
  { name: 'nd-dev', labels: { team: 'shop', env: 'dev' } },
  { name: 'nd-mon', labels: { purpose: 'monitoring' } },
];

const tcp = (name: string, containerPort: number): ContainerPort => ({
  name,
  containerPort,
  protocol: 'TCP',
});
const udp = (name: string, containerPort: number): ContainerPort => ({
  name,
  containerPort,
  protocol: 'UDP',
});

export const SUITE_PODS: SuitePod[] = [
  // web-0 and web-1 give the same port name different numbers: named ports resolve per pod.
  {
    namespace: 'nd-shop',
    name: 'web-0',
    labels: { app: 'web', tier: 'front' },
    ports: [tcp('http', 8080), tcp('metrics', 9100)],
  },
  {
    namespace: 'nd-shop',
    name: 'web-1',
    labels: { app: 'web', tier: 'front' },
    ports: [tcp('http', 8081), tcp('metrics', 9100)],
  },
  {
    namespace: 'nd-shop',
    name: 'api-0',
    labels: { app: 'api', tier: 'back' },
    ports: [tcp('http', 9000), tcp('grpc', 50051), udp('stats', 8125)],
  },
  { namespace: 'nd-shop', name: 'cache-0', labels: { app: 'cache' }, ports: [tcp('redis', 6379)] },
  {
    namespace: 'nd-pay',
    name: 'gateway-0',
    labels: { app: 'gateway' },
    ports: [tcp('https', 8443), tcp('admin', 9443)],
  },
  { namespace: 'nd-pay', name: 'db-0', labels: { app: 'db' }, ports: [tcp('pg', 5432)] },
  { namespace: 'nd-pay', name: 'worker-0', labels: { app: 'worker' }, ports: [tcp('jobs', 9050)] },
  { namespace: 'nd-dev', name: 'web-0', labels: { app: 'web', tier: 'front' }, ports: [tcp('http', 8080)] },
  { namespace: 'nd-dev', name: 'tester-0', labels: { app: 'tester' }, ports: [] },
  { namespace: 'nd-mon', name: 'prom-0', labels: { app: 'prometheus' }, ports: [tcp('web', 9090)] },
  { namespace: 'nd-mon', name: 'probe-0', labels: { app: 'blackbox' }, ports: [tcp('web', 9115)] },
];

/** A port no pod declares (the listener still runs on it): policies naming ports must not admit it. */
export const UNDECLARED_PORT = 7777;

const np = (namespace: string, name: string, spec: K8sNetworkPolicy['spec']): K8sNetworkPolicy => ({
  metadata: { namespace, name },
  spec,
});

export const SUITE_POLICIES: K8sNetworkPolicy[] = [
  np('nd-shop', 'default-deny-ingress', { podSelector: {}, policyTypes: ['Ingress'] }),
  np('nd-shop', 'web-http-from-anywhere', {
    podSelector: { matchLabels: { app: 'web' } },
    policyTypes: ['Ingress'],
    ingress: [{ from: [{ namespaceSelector: {} }], ports: [{ port: 'http' }] }],
  }),
  np('nd-shop', 'api-from-web-and-pay-worker', {
    podSelector: { matchLabels: { app: 'api' } },
    policyTypes: ['Ingress'],
    ingress: [
      { from: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ port: 9000 }, { port: 'grpc' }] },
      {
        // One peer, both selectors: worker pods in namespaces labelled team=pay (AND).
        from: [
          {
            namespaceSelector: { matchLabels: { team: 'pay' } },
            podSelector: { matchLabels: { app: 'worker' } },
          },
        ],
        ports: [{ port: 9000, protocol: 'TCP' }],
      },
    ],
  }),
  np('nd-shop', 'api-stats-udp', {
    podSelector: { matchLabels: { app: 'api' } },
    policyTypes: ['Ingress'],
    ingress: [{ from: [{ podSelector: {} }], ports: [{ port: 'stats', protocol: 'UDP' }] }],
  }),
  np('nd-shop', 'cache-from-api', {
    podSelector: { matchLabels: { app: 'cache' } },
    ingress: [{ from: [{ podSelector: { matchLabels: { app: 'api' } } }], ports: [{ port: 6379 }] }],
  }),
  np('nd-shop', 'cache-no-egress', {
    podSelector: { matchLabels: { app: 'cache' } },
    policyTypes: ['Egress'],
  }),
  np('nd-shop', 'metrics-from-prometheus', {
    podSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['front', 'back'] }] },
    policyTypes: ['Ingress'],
    ingress: [
      {
        from: [
          {
            namespaceSelector: { matchLabels: { purpose: 'monitoring' } },
            podSelector: { matchLabels: { app: 'prometheus' } },
          },
        ],
        ports: [{ port: 9100, endPort: 9200 }],
      },
    ],
  }),
  np('nd-pay', 'default-deny-all', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }),
  np('nd-pay', 'gateway-from-shop', {
    podSelector: { matchLabels: { app: 'gateway' } },
    policyTypes: ['Ingress'],
    ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'shop' } } }], ports: [{ port: 8443 }] }],
  }),
  np('nd-pay', 'gateway-to-db', {
    podSelector: { matchLabels: { app: 'gateway' } },
    policyTypes: ['Egress'],
    egress: [{ to: [{ podSelector: { matchLabels: { app: 'db' } } }], ports: [{ port: 'pg' }] }],
  }),
  np('nd-pay', 'db-from-gateway', {
    podSelector: { matchLabels: { app: 'db' } },
    policyTypes: ['Ingress'],
    ingress: [{ from: [{ podSelector: { matchLabels: { app: 'gateway' } } }], ports: [{ port: 5432 }] }],
  }),
  np('nd-pay', 'worker-egress-pod-network', {
    podSelector: { matchLabels: { app: 'worker' } },
    policyTypes: ['Egress'],
    egress: [
      // Any pod address except the database's, on a port range.
      {
        to: [{ ipBlock: { cidr: '{podCidr}', except: ['{pod:nd-pay/db-0}/32'] } }],
        ports: [{ port: 5000, endPort: 9100 }],
      },
    ],
  }),
  np('nd-pay', 'worker-from-monitoring', {
    podSelector: { matchLabels: { app: 'worker' } },
    policyTypes: ['Ingress'],
    ingress: [
      { from: [{ namespaceSelector: { matchExpressions: [{ key: 'purpose', operator: 'Exists' }] } }] },
    ],
  }),
  np('nd-dev', 'egress-only-to-shop', {
    podSelector: {},
    policyTypes: ['Egress'],
    egress: [{ to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'nd-shop' } } }] }],
  }),
];

/** Every pair of distinct pods, at each port the destination declares and at UNDECLARED_PORT/TCP. */
export function suiteCases(): AgreementCase[] {
  const out: AgreementCase[] = [];
  for (const src of SUITE_PODS) {
    for (const dst of SUITE_PODS) {
      if (src === dst) continue;
      const ports: [number, Protocol][] = dst.ports.map((p) => [p.containerPort, p.protocol ?? 'TCP']);
      ports.push([UNDECLARED_PORT, 'TCP']);
      for (const [port, protocol] of ports) {
        const from = `${src.namespace}/${src.name}`;
        const to = `${dst.namespace}/${dst.name}`;
        out.push({ id: `${from}>${to}:${port}/${protocol}`, from, to, port, protocol });
      }
    }
  }
  return out;
}

/** The policies with `{podCidr}` and `{pod:NS/NAME}` replaced by real addresses. */
export function materializePolicies(addresses: {
  podCidr: string;
  podIps: Record<string, string>;
}): K8sNetworkPolicy[] {
  const fill = (s: string) =>
    s.replaceAll('{podCidr}', addresses.podCidr).replace(/\{pod:([^}]+)\}/g, (_, key: string) => {
      const ip = addresses.podIps[key];
      if (!ip) throw new Error(`no IP for pod ${key}`);
      return ip;
    });
  return SUITE_POLICIES.map((p) => JSON.parse(fill(JSON.stringify(p))) as K8sNetworkPolicy);
}
