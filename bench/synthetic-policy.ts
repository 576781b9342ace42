/**
 * A deterministic synthetic cluster for the policy benchmark: 1,000 namespaces of 150 pods
 * (10 workloads x 15 replicas, realistic label sets and named ports) and 10 NetworkPolicies
 * per namespace (default-denies, DNS allowances, same-namespace, cross-namespace, monitoring
 * with endPort, ipBlock with except). Same seed, same cluster.
 */
import type { K8sNetworkPolicy, K8sPod, K8sService } from '../src/core/cluster-types.ts';
import { emptyClusterState } from '../src/core/cluster-types.ts';
import type { Snapshot } from '../src/core/model.ts';

/** mulberry32: small, fast, deterministic. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const APPS = [
  {
    app: 'web',
    tier: 'front',
    ports: [
      ['http', 8080],
      ['metrics', 9100],
    ],
  },
  {
    app: 'api',
    tier: 'back',
    ports: [
      ['http', 9000],
      ['grpc', 50051],
      ['metrics', 9100],
    ],
  },
  { app: 'worker', tier: 'back', ports: [['metrics', 9100]] },
  { app: 'cache', tier: 'data', ports: [['redis', 6379]] },
  {
    app: 'db',
    tier: 'data',
    ports: [
      ['pg', 5432],
      ['metrics', 9187],
    ],
  },
  { app: 'gateway', tier: 'front', ports: [['https', 8443]] },
  { app: 'auth', tier: 'back', ports: [['http', 9001]] },
  { app: 'search', tier: 'back', ports: [['http', 9200]] },
  { app: 'queue', tier: 'data', ports: [['amqp', 5672]] },
  { app: 'scheduler', tier: 'back', ports: [['http', 9002]] },
] as const;

export interface SyntheticOptions {
  namespaces?: number;
  replicas?: number;
  seed?: number;
}

export function syntheticPolicySnapshot(o: SyntheticOptions = {}): Snapshot {
  const nsCount = o.namespaces ?? 1000;
  const replicas = o.replicas ?? 15;
  const rand = rng(o.seed ?? 42);
  const c = emptyClusterState();
  let ipn = 0;
  const nextIp = () => {
    ipn++;
    return `10.${64 + ((ipn >> 16) & 63)}.${(ipn >> 8) & 255}.${ipn & 255}`;
  };
  const nodes = 500;

  c.namespaces.push({
    metadata: { name: 'kube-system', labels: { 'kubernetes.io/metadata.name': 'kube-system' } },
  });
  for (let i = 0; i < 2; i++) {
    c.pods.push({
      metadata: {
        namespace: 'kube-system',
        name: `coredns-5d78c9869d-${i}`,
        labels: { 'k8s-app': 'kube-dns' },
      },
      spec: {
        nodeName: `node-${i}`,
        containers: [
          {
            name: 'coredns',
            ports: [
              { name: 'dns', containerPort: 53, protocol: 'UDP' },
              { name: 'dns-tcp', containerPort: 53 },
            ],
          },
        ],
      },
      status: { phase: 'Running', podIP: nextIp(), hostIP: `192.168.${i >> 8}.${i & 255}` },
    });
  }
  const dns: K8sService = {
    metadata: { namespace: 'kube-system', name: 'kube-dns' },
    spec: {
      clusterIP: '10.96.0.10',
      selector: { 'k8s-app': 'kube-dns' },
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
        { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
      ],
    },
  };
  c.services.push(dns);
  c.namespaces.push({ metadata: { name: 'monitoring', labels: { purpose: 'monitoring' } } });

  for (let n = 0; n < nsCount; n++) {
    const ns = `team-${n % 50}-svc-${n}`;
    const team = `team-${n % 50}`;
    const env = ['prod', 'staging', 'dev'][n % 3] as string;
    c.namespaces.push({ metadata: { name: ns, labels: { team, env, 'kubernetes.io/metadata.name': ns } } });
    for (const a of APPS) {
      const hash = Math.floor(rand() * 0xffffff)
        .toString(16)
        .padStart(6, '0');
      for (let r = 0; r < replicas; r++) {
        const node = Math.floor(rand() * nodes);
        const pod: K8sPod = {
          metadata: {
            namespace: ns,
            name: `${a.app}-${hash}-${r}`,
            labels: {
              app: a.app,
              tier: a.tier,
              team,
              version: rand() < 0.8 ? 'v1' : 'v2',
              'pod-template-hash': hash,
            },
            ownerReferences: [{ kind: 'ReplicaSet', name: `${a.app}-${hash}` }],
          },
          spec: {
            nodeName: `node-${node}`,
            containers: [
              { name: a.app, ports: a.ports.map(([name, containerPort]) => ({ name, containerPort })) },
            ],
          },
          status: { phase: 'Running', podIP: nextIp(), hostIP: `192.168.${node >> 8}.${node & 255}` },
        };
        c.pods.push(pod);
      }
      c.services.push({
        metadata: { namespace: ns, name: a.app },
        spec: {
          clusterIP: `10.${96 + ((c.services.length >> 16) & 15)}.${(c.services.length >> 8) & 255}.${c.services.length & 255}`,
          selector: { app: a.app },
          ports: [{ port: 80, targetPort: a.ports[0][0] }],
        },
      });
    }
    const P = (name: string, spec: K8sNetworkPolicy['spec']): K8sNetworkPolicy => ({
      metadata: { namespace: ns, name },
      spec,
    });
    const peerTeam = `team-${Math.floor(rand() * 50)}`;
    c.networkPolicies.push(
      P('default-deny-ingress', { podSelector: {}, policyTypes: ['Ingress'] }),
      n % 2 === 0
        ? P('default-deny-egress', { podSelector: {}, policyTypes: ['Egress'] })
        : P('egress-open-web', {
            podSelector: { matchLabels: { app: 'web' } },
            policyTypes: ['Egress'],
            egress: [{}],
          }),
      // One namespace in 20 forgets DNS (seed 003), so the DNS lint has work to do.
      n % 20 === 0
        ? P('allow-https-egress', {
            podSelector: {},
            policyTypes: ['Egress'],
            egress: [{ ports: [{ port: 443 }] }],
          })
        : P('allow-dns', {
            podSelector: {},
            policyTypes: ['Egress'],
            egress: [
              {
                to: [
                  {
                    namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
                    podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
                  },
                ],
                ports: [
                  { port: 53, protocol: 'UDP' },
                  { port: 53, protocol: 'TCP' },
                ],
              },
            ],
          }),
      P('web-from-anywhere', {
        podSelector: { matchLabels: { app: 'web' } },
        ingress: [{ from: [{ namespaceSelector: {} }], ports: [{ port: 'http' }] }],
      }),
      P('api-from-web', {
        podSelector: { matchLabels: { app: 'api' } },
        ingress: [
          {
            from: [
              { podSelector: { matchLabels: { app: 'web' } } },
              { podSelector: { matchLabels: { app: 'gateway' } } },
            ],
            ports: [{ port: 'http' }, { port: 'grpc' }],
          },
        ],
      }),
      P('data-from-back', {
        podSelector: { matchLabels: { tier: 'data' } },
        ingress: [
          {
            from: [
              { podSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['back'] }] } },
            ],
          },
        ],
      }),
      P('metrics-from-monitoring', {
        podSelector: {},
        ingress: [
          {
            from: [
              {
                namespaceSelector: { matchLabels: { purpose: 'monitoring' } },
                podSelector: { matchLabels: { app: 'prometheus' } },
              },
            ],
            ports: [{ port: 9100, endPort: 9199 }],
          },
        ],
      }),
      P('gateway-from-team', {
        podSelector: { matchLabels: { app: 'gateway' } },
        ingress: [
          {
            from: [{ namespaceSelector: { matchLabels: { team: peerTeam, env } } }],
            ports: [{ port: 8443 }],
          },
        ],
      }),
      P('worker-egress', {
        podSelector: { matchLabels: { app: 'worker' } },
        policyTypes: ['Egress'],
        egress: [
          {
            to: [{ ipBlock: { cidr: '10.64.0.0/10', except: ['10.64.0.0/24'] } }],
            ports: [{ port: 5000, endPort: 9999 }],
          },
          {
            to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['169.254.169.254/32'] } }],
            ports: [{ port: 443 }],
          },
        ],
      }),
      P('auth-from-api', {
        podSelector: { matchLabels: { app: 'auth' } },
        ingress: [{ from: [{ podSelector: { matchLabels: { app: rand() < 0.05 ? 'apii' : 'api' } } }] }],
      }),
    );
  }
  return {
    meta: { createdAt: '2025-01-01T00:00:00Z', source: 'synthetic', netdoctorVersion: 'bench' },
    cluster: c,
    nodes: {},
    gaps: [],
  };
}
