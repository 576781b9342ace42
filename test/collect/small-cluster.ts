/**
 * A small, realistic two-node flannel cluster as the API returns it (kubeadm layout: CoreDNS
 * Deployment, kube-proxy and kube-flannel DaemonSets, the kube-dns Service and its
 * EndpointSlice, the networking ConfigMaps), with a few secrets planted where real clusters
 * leak them, so bundle tests can check both the round trip and redaction.
 */
import type { ClusterState, K8sPod } from '../../src/core/cluster-types.ts';

/** Secret values planted in the cluster; none of them may appear in a written bundle. */
export const PLANTED_SECRETS = [
  'hunter2-db-pass',
  'sk_live_51HxQk2eZvKYlo2C',
  'eyJhbGciOiJSUzI1NiIsImtpZCI6IkJ6ZWxzIn0.eyJpc3MiOiJrdWJlcm5ldGVzL3NlcnZpY2VhY2NvdW50In0.S2lnbmF0dXJlT2ZUaGVUb2tlbg',
  'c3VwZXJzZWNyZXRzZWNyZXQ=',
] as const;

const TS = '2026-03-12T10:00:00Z';

function pod(
  ns: string,
  name: string,
  node: string,
  ip: string,
  labels: Record<string, string>,
  container: string,
  owner: { kind: string; name: string },
  extra: Partial<K8sPod['status']> = {},
): K8sPod {
  return {
    metadata: {
      name,
      namespace: ns,
      uid: `uid-${name}`,
      labels,
      creationTimestamp: TS,
      ownerReferences: [owner],
    },
    spec: { nodeName: node, containers: [{ name: container, image: `registry.k8s.io/${container}:v1` }] },
    status: {
      phase: 'Running',
      podIP: ip,
      podIPs: [{ ip }],
      hostIP: node === 'node-1' ? '192.168.56.11' : '192.168.56.12',
      conditions: [
        { type: 'Initialized', status: 'True' },
        { type: 'Ready', status: 'True' },
        { type: 'ContainersReady', status: 'True' },
        { type: 'PodScheduled', status: 'True' },
      ],
      containerStatuses: [
        { name: container, ready: true, restartCount: 0, state: { running: { startedAt: TS } } },
      ],
      ...extra,
    },
  };
}

export function smallCluster(): ClusterState {
  const nodes = (['node-1', 'node-2'] as const).map((name, i) => ({
    metadata: {
      name,
      uid: `uid-${name}`,
      labels: { 'kubernetes.io/hostname': name },
      annotations: {
        'flannel.alpha.coreos.com/backend-data': `{"VNI":1,"VtepMAC":"7a:1c:2e:3f:44:${i}5"}`,
        'flannel.alpha.coreos.com/backend-type': 'vxlan',
        'flannel.alpha.coreos.com/public-ip': `192.168.56.1${i + 1}`,
      },
    },
    spec: { podCIDR: `10.244.${i}.0/24`, podCIDRs: [`10.244.${i}.0/24`] },
    status: {
      conditions: [{ type: 'Ready', status: 'True' as const, reason: 'KubeletReady' }],
      addresses: [
        { type: 'InternalIP', address: `192.168.56.1${i + 1}` },
        { type: 'Hostname', address: name },
      ],
      nodeInfo: { kubeletVersion: 'v1.30.2', kernelVersion: '6.8.0-45-generic' },
    },
  }));

  const crashing = pod(
    'kube-system',
    'kube-proxy-7xk2p',
    'node-2',
    '192.168.56.12',
    { 'k8s-app': 'kube-proxy' },
    'kube-proxy',
    { kind: 'DaemonSet', name: 'kube-proxy' },
    {
      conditions: [
        { type: 'Initialized', status: 'True' },
        { type: 'Ready', status: 'False', reason: 'ContainersNotReady' },
        { type: 'ContainersReady', status: 'False', reason: 'ContainersNotReady' },
        { type: 'PodScheduled', status: 'True' },
      ],
      containerStatuses: [
        {
          name: 'kube-proxy',
          ready: false,
          restartCount: 7,
          state: {
            waiting: { reason: 'CrashLoopBackOff', message: 'back-off 5m0s restarting failed container' },
          },
          lastState: { terminated: { reason: 'Error', exitCode: 1, finishedAt: TS } },
        },
      ],
    },
  );

  const appPod = pod('default', 'billing-5d8f7c', 'node-2', '10.244.1.7', { app: 'billing' }, 'billing', {
    kind: 'ReplicaSet',
    name: 'billing-5d8f',
  });
  // Env values and the last-applied annotation are where real pod specs carry credentials.
  (appPod.spec.containers[0] as Record<string, unknown>)['env'] = [
    { name: 'DB_HOST', value: '10.96.12.4' },
    { name: 'DB_PASSWORD', value: PLANTED_SECRETS[0] },
    { name: 'STRIPE_API_KEY', value: PLANTED_SECRETS[1] },
    { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
  ];
  appPod.metadata.annotations = {
    'kubectl.kubernetes.io/last-applied-configuration': `${JSON.stringify({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'billing', namespace: 'default' },
      spec: { containers: [{ name: 'billing', env: [{ name: 'DB_PASSWORD', value: PLANTED_SECRETS[0] }] }] },
    })}\n`,
  };

  const pods: K8sPod[] = [
    pod(
      'kube-system',
      'coredns-7db6d8ff4d-4lq8n',
      'node-1',
      '10.244.0.2',
      { 'k8s-app': 'kube-dns' },
      'coredns',
      {
        kind: 'ReplicaSet',
        name: 'coredns-7db6d8ff4d',
      },
    ),
    pod(
      'kube-system',
      'coredns-7db6d8ff4d-wz9mc',
      'node-2',
      '10.244.1.2',
      { 'k8s-app': 'kube-dns' },
      'coredns',
      {
        kind: 'ReplicaSet',
        name: 'coredns-7db6d8ff4d',
      },
    ),
    pod(
      'kube-system',
      'kube-proxy-q8d5r',
      'node-1',
      '192.168.56.11',
      { 'k8s-app': 'kube-proxy' },
      'kube-proxy',
      {
        kind: 'DaemonSet',
        name: 'kube-proxy',
      },
    ),
    crashing,
    pod(
      'kube-flannel',
      'kube-flannel-ds-h2x9t',
      'node-1',
      '192.168.56.11',
      { app: 'flannel' },
      'kube-flannel',
      {
        kind: 'DaemonSet',
        name: 'kube-flannel-ds',
      },
    ),
    pod(
      'kube-flannel',
      'kube-flannel-ds-m5v7k',
      'node-2',
      '192.168.56.12',
      { app: 'flannel' },
      'kube-flannel',
      {
        kind: 'DaemonSet',
        name: 'kube-flannel-ds',
      },
    ),
    appPod,
  ];

  return {
    serverVersion: 'v1.30.2',
    nodes,
    namespaces: ['default', 'kube-system', 'kube-flannel'].map((name) => ({ metadata: { name } })),
    pods,
    services: [
      {
        metadata: { name: 'kube-dns', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } },
        spec: {
          type: 'ClusterIP',
          clusterIP: '10.96.0.10',
          clusterIPs: ['10.96.0.10'],
          selector: { 'k8s-app': 'kube-dns' },
          ports: [
            { name: 'dns', protocol: 'UDP', port: 53, targetPort: 53 },
            { name: 'dns-tcp', protocol: 'TCP', port: 53, targetPort: 53 },
            { name: 'metrics', protocol: 'TCP', port: 9153, targetPort: 9153 },
          ],
        },
      },
    ],
    endpointSlices: [
      {
        metadata: {
          name: 'kube-dns-x7k2m',
          namespace: 'kube-system',
          labels: { 'kubernetes.io/service-name': 'kube-dns' },
        },
        addressType: 'IPv4',
        endpoints: [
          {
            addresses: ['10.244.0.2'],
            conditions: { ready: true, serving: true, terminating: false },
            nodeName: 'node-1',
            targetRef: { kind: 'Pod', name: 'coredns-7db6d8ff4d-4lq8n', namespace: 'kube-system' },
          },
          {
            addresses: ['10.244.1.2'],
            conditions: { ready: true, serving: true, terminating: false },
            nodeName: 'node-2',
            targetRef: { kind: 'Pod', name: 'coredns-7db6d8ff4d-wz9mc', namespace: 'kube-system' },
          },
        ],
        ports: [
          { name: 'dns', port: 53, protocol: 'UDP' },
          { name: 'dns-tcp', port: 53, protocol: 'TCP' },
        ],
      },
    ],
    daemonSets: [
      {
        metadata: { name: 'kube-proxy', namespace: 'kube-system', labels: { 'k8s-app': 'kube-proxy' } },
        spec: {
          selector: { matchLabels: { 'k8s-app': 'kube-proxy' } },
          template: { metadata: { labels: { 'k8s-app': 'kube-proxy' } } },
        },
        status: { desiredNumberScheduled: 2, currentNumberScheduled: 2, numberReady: 1, numberAvailable: 1 },
      },
      {
        metadata: { name: 'kube-flannel-ds', namespace: 'kube-flannel', labels: { app: 'flannel' } },
        spec: {
          selector: { matchLabels: { app: 'flannel' } },
          template: { metadata: { labels: { app: 'flannel' } } },
        },
        status: { desiredNumberScheduled: 2, currentNumberScheduled: 2, numberReady: 2, numberAvailable: 2 },
      },
    ],
    deployments: [
      {
        metadata: { name: 'coredns', namespace: 'kube-system' },
        spec: { replicas: 2, selector: { matchLabels: { 'k8s-app': 'kube-dns' } } },
        status: { replicas: 2, readyReplicas: 2, availableReplicas: 2 },
      },
    ],
    configMaps: [
      {
        metadata: { name: 'coredns', namespace: 'kube-system' },
        data: {
          Corefile:
            '.:53 {\n    errors\n    health {\n       lameduck 5s\n    }\n    ready\n    kubernetes cluster.local in-addr.arpa ip6.arpa {\n       pods insecure\n       fallthrough in-addr.arpa ip6.arpa\n       ttl 30\n    }\n    prometheus :9153\n    forward . /etc/resolv.conf {\n       max_concurrent 1000\n    }\n    cache 30\n    loop\n    reload\n    loadbalance\n}\n',
        },
      },
      {
        metadata: { name: 'kube-proxy', namespace: 'kube-system' },
        data: {
          'config.conf':
            'apiVersion: kubeproxy.config.k8s.io/v1alpha1\nbindAddress: 0.0.0.0\nclientConnection:\n  kubeconfig: /var/lib/kube-proxy/kubeconfig.conf\nclusterCIDR: 10.244.0.0/16\nkind: KubeProxyConfiguration\nmode: iptables\n',
          'kubeconfig.conf':
            'apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    certificate-authority: /var/run/secrets/kubernetes.io/serviceaccount/ca.crt\n    server: https://192.168.56.11:6443\n  name: default\nusers:\n- name: default\n  user:\n    tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token\n',
        },
      },
      {
        metadata: { name: 'kube-flannel-cfg', namespace: 'kube-flannel', labels: { app: 'flannel' } },
        data: {
          'cni-conf.json':
            '{\n  "name": "cbr0",\n  "cniVersion": "0.3.1",\n  "plugins": [\n    {\n      "type": "flannel",\n      "delegate": {\n        "hairpinMode": true,\n        "isDefaultGateway": true\n      }\n    },\n    {\n      "type": "portmap",\n      "capabilities": {\n        "portMappings": true\n      }\n    }\n  ]\n}\n',
          'net-conf.json':
            '{\n  "Network": "10.244.0.0/16",\n  "EnableNFTables": false,\n  "Backend": {\n    "Type": "vxlan"\n  }\n}\n',
        },
      },
    ],
    networkPolicies: [],
    events: [
      {
        metadata: {
          name: 'kube-proxy-7xk2p.17c1',
          namespace: 'kube-system',
          creationTimestamp: '2026-03-12T10:05:00Z',
        },
        involvedObject: { kind: 'Pod', name: 'kube-proxy-7xk2p', namespace: 'kube-system' },
        reason: 'BackOff',
        message: 'Back-off restarting failed container kube-proxy in pod kube-proxy-7xk2p_kube-system',
        type: 'Warning',
        count: 31,
        lastTimestamp: '2026-03-12T10:05:00Z',
      },
      {
        metadata: { name: 'coredns-7db6d8ff4d-4lq8n.17b9', namespace: 'kube-system', creationTimestamp: TS },
        involvedObject: { kind: 'Pod', name: 'coredns-7db6d8ff4d-4lq8n', namespace: 'kube-system' },
        reason: 'Started',
        message: 'Started container coredns',
        type: 'Normal',
        count: 1,
        lastTimestamp: '2026-03-12T10:00:01Z',
      },
    ],
    logs: {
      'kube-system/coredns-7db6d8ff4d-4lq8n/coredns':
        '.:53\n[INFO] plugin/reload: Running configuration SHA512 = 591cf328cccc12bc490481273e738df59329c62c0b729d94e8b61db9961c2fa5f046dd37f1cf888b953814040d180f52594972691cd6ff41be96639138a43908\nCoreDNS-1.11.1\nlinux/amd64, go1.20.7, ae2bbc2\n',
      'kube-system/kube-proxy-7xk2p/kube-proxy/previous': `I0312 10:04:58.101 1 server_linux.go:69] "Using iptables proxy"\nI0312 10:04:58.102 1 round_trippers.go:466] curl -v -XGET  -H "Accept: application/json" -H "Authorization: Bearer ${PLANTED_SECRETS[2]}" 'https://192.168.56.11:6443/api/v1/nodes/node-2'\nE0312 10:04:58.900 1 run.go:74] "command failed" err="failed complete: unrecognized feature gate: SupportIPVSProxyMode"\n`,
      'kube-flannel/kube-flannel-ds-h2x9t/kube-flannel':
        'I0312 10:00:02.123 1 main.go:212] CLI flags config: {etcdEndpoints:http://127.0.0.1:4001,http://127.0.0.1:2379 etcdPrefix:/coreos.com/network etcdKeyfile: etcdCertfile: etcdCAFile: etcdUsername: etcdPassword: version:false kubeSubnetMgr:true kubeApiUrl: kubeAnnotationPrefix:flannel.alpha.coreos.com kubeConfigFile: iface:[] ifaceRegex:[] ipMasq:true ifaceCanReach: subnetFile:/run/flannel/subnet.env publicIP: publicIPv6: subnetLeaseRenewMargin:60 healthzIP:0.0.0.0 healthzPort:0 iptablesResyncSeconds:5 iptablesForwardRules:true netConfPath:/etc/kube-flannel/net-conf.json setNodeNetworkUnavailable:true}\n' +
        'I0312 10:00:02.500 1 vxlan_network.go:65] watching for new subnet leases\n' +
        'I0312 10:00:02.600 1 iptables.go:290] generated 3 rules\n',
    },
  };
}

/** A Secret, as it would come back from a careless list call; the writer must drop it. */
export function plantedSecretObject(): unknown {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'db-credentials', namespace: 'default' },
    type: 'Opaque',
    data: { password: PLANTED_SECRETS[3] },
  };
}
