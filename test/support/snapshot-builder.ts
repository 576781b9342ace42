/**
 * Small, consistent snapshots of a flannel cluster for rule, engine and correlation tests: a
 * control plane and N workers with flannel, kube-proxy and CoreDNS Running and Ready, the
 * kubeadm default networks (pods 10.244.0.0/16, Services 10.96.0.0/12, nodes 192.168.1.0/24),
 * a demo app, healthy probe results, and fault mutators that change the objects, the nodes'
 * datapaths and the probe outcomes together.
 */
import type {
  ClusterState,
  K8sConfigMap,
  K8sDaemonSet,
  K8sDeployment,
  K8sEndpointSlice,
  K8sNode,
  K8sPod,
  K8sService,
} from '../../src/core/cluster-types.ts';
import type { NodeDatapath } from '../../src/core/datapath-types.ts';
import type { Snapshot } from '../../src/core/model.ts';
import type { ProbeOutcome, ProbeResult, ProbeScenario } from '../../src/core/probe-types.ts';
import {
  defaultServices,
  type FlannelNodeSpec,
  flannelDatapaths,
  removePeerRoutes,
} from './datapath-builder.ts';

export const CREATED_AT = '2025-10-13T22:05:00Z';
const STARTED = '2025-10-06T09:00:00Z';

/** The Corefile kubeadm installs. */
export const DEFAULT_COREFILE = `.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30
    loop
    reload
    loadbalance
}
`;

/** kube-flannel.yml's net-conf.json. */
export const FLANNEL_NET_CONF = `{
  "Network": "10.244.0.0/16",
  "EnableNFTables": false,
  "Backend": {
    "Type": "vxlan"
  }
}
`;

const FLANNEL_CNI_CONF = `{
  "name": "cbr0",
  "cniVersion": "0.3.1",
  "plugins": [
    { "type": "flannel", "delegate": { "hairpinMode": true, "isDefaultGateway": true } },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
`;

function flannelLog(node: FlannelNodeSpec, peers: FlannelNodeSpec[]): string[] {
  return [
    'I1006 09:00:01.101234       1 main.go:211] CLI flags config: {etcdEndpoints:http://127.0.0.1:4001,http://127.0.0.1:2379 etcdPrefix:/coreos.com/network kubeSubnetMgr:true iface:[] ifaceRegex:[] ipMasq:true ifaceCanReach: subnetFile:/run/flannel/subnet.env publicIP: publicIPv6: subnetLeaseRenewMargin:60 healthzIP:0.0.0.0 healthzPort:0 iptablesResyncSeconds:5 iptablesForwardRules:true netConfPath:/etc/kube-flannel/net-conf.json setNodeNetworkUnavailable:true}',
    'I1006 09:00:01.112233       1 kube.go:139] Waiting 10m0s for node controller to sync',
    'I1006 09:00:01.112301       1 kube.go:469] Starting kube subnet manager',
    `I1006 09:00:02.112500       1 kube.go:490] Creating the node lease for IPv4. This is the n.Spec.PodCIDRs: [${node.podCIDR}]`,
    'I1006 09:00:02.113000       1 main.go:230] Created subnet manager: Kubernetes Subnet Manager',
    `I1006 09:00:02.113100       1 main.go:233] Installing signal handlers`,
    'I1006 09:00:02.113400       1 main.go:468] Found network config - Backend type: vxlan',
    `I1006 09:00:02.114000       1 match.go:211] Determining IP address of default interface`,
    `I1006 09:00:02.114500       1 match.go:264] Using interface with name eth0 and address ${node.internalIP}`,
    'I1006 09:00:02.120000       1 kube.go:636] List of node(control-plane) annotations: map[string]string{}',
    'I1006 09:00:02.130000       1 main.go:401] Running backend.',
    `I1006 09:00:02.130500       1 main.go:422] Wrote subnet file to /run/flannel/subnet.env`,
    ...peers.map(
      (p) =>
        `I1006 09:00:02.131000       1 kube.go:510] Received Subnet Event with VxLan: BackendType: vxlan, PublicIP: ${p.internalIP}, PublicIPv6: (nil), BackendData: {"VNI":1,"VtepMAC":"${p.vtepMac}"}`,
    ),
    'I1006 09:00:02.140000       1 iptables.go:357] bootstrap done',
    'I1006 09:00:02.141000       1 main.go:431] Handling initial subnet events',
    'I1006 09:00:02.141500       1 vxlan_network.go:65] watching for new subnet leases',
  ];
}

const COREDNS_LOG = [
  '.:53',
  '[INFO] plugin/reload: Running configuration SHA512 = 591cf328cccc12bc490481273e738df59329c62c0b729d94e8b61db9961c2fa5f046dd37f1cf888b953814040d180f52594972691cd6ff41be96639138a43908',
  'CoreDNS-1.11.1',
  'linux/amd64, go1.20.7, ae2bbc2',
];

const KUBE_PROXY_LOG = [
  'I1006 09:00:00.500000       1 server_linux.go:66] "Using iptables proxy"',
  'I1006 09:00:00.600000       1 server.go:677] "Successfully retrieved node IP(s)" IPs=["192.168.1.10"]',
  'I1006 09:00:00.700000       1 shared_informer.go:320] Caches are synced for service config',
];

export interface FlannelClusterOptions {
  /** Worker count (worker-1..n) beside control-plane; default 3. */
  workers?: number;
  /** Nodes that run a CoreDNS pod; default control-plane and worker-1. */
  corednsNodes?: string[];
  /** Include a kube-apiserver static pod (with --service-cluster-ip-range); default true. */
  apiserverPod?: boolean;
}

interface Faults {
  dsDeleted: boolean;
  isolated: boolean;
  stalled: Set<string>;
  proxyCrash: Set<string>;
  corednsState: 'ok' | 'crashloop' | 'not-ready';
  corednsLoop: boolean;
  upstreamDown: boolean;
  typo: Set<string>;
  notReadyNodes: Set<string>;
}

function mac(i: number): string {
  return `a6:4e:77:00:00:${i.toString(16).padStart(2, '0')}`;
}

function ready(): NonNullable<K8sPod['status']['conditions']> {
  return [
    { type: 'Initialized', status: 'True' },
    { type: 'Ready', status: 'True' },
    { type: 'ContainersReady', status: 'True' },
    { type: 'PodScheduled', status: 'True' },
  ];
}

function runningPod(
  ns: string,
  name: string,
  node: string,
  ip: string,
  labels: Record<string, string>,
  container: string,
  hostIP: string,
  hostNetwork = false,
): K8sPod {
  return {
    metadata: { name, namespace: ns, labels, creationTimestamp: STARTED },
    spec: {
      nodeName: node,
      hostNetwork,
      containers: [{ name: container, image: `registry.example/${container}:latest` }],
    },
    status: {
      phase: 'Running',
      podIP: ip,
      podIPs: [{ ip }],
      hostIP,
      conditions: ready(),
      containerStatuses: [
        { name: container, ready: true, restartCount: 0, state: { running: { startedAt: STARTED } } },
      ],
    },
  };
}

function crashLoop(pod: K8sPod, restarts: number, reason: string, exitCode: number): void {
  const c = pod.status.containerStatuses?.[0];
  if (!c) return;
  c.ready = false;
  c.restartCount = restarts;
  c.state = { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 5m0s restarting failed container' } };
  c.lastState = { terminated: { reason, exitCode, finishedAt: '2025-10-13T22:03:00Z' } };
  pod.status.conditions = [
    { type: 'Ready', status: 'False', reason: 'ContainersNotReady' },
    { type: 'ContainersReady', status: 'False', reason: 'ContainersNotReady' },
  ];
}

function notReady(pod: K8sPod): void {
  const c = pod.status.containerStatuses?.[0];
  if (c) c.ready = false;
  pod.status.conditions = [
    { type: 'Ready', status: 'False', reason: 'ContainersNotReady' },
    { type: 'ContainersReady', status: 'False', reason: 'ContainersNotReady' },
  ];
}

function slice(
  ns: string,
  svc: string,
  eps: { ip: string; node: string; pod: string; ready: boolean }[],
  port: number,
  protocol = 'TCP',
): K8sEndpointSlice {
  return {
    metadata: { name: `${svc}-abc12`, namespace: ns, labels: { 'kubernetes.io/service-name': svc } },
    addressType: 'IPv4',
    endpoints: eps.map((e) => ({
      addresses: [e.ip],
      conditions: { ready: e.ready, serving: e.ready, terminating: false },
      nodeName: e.node,
      ...(e.pod ? { targetRef: { kind: 'Pod', name: e.pod, namespace: ns } } : {}),
    })),
    ports: [{ port, protocol }],
  };
}

/** A fluent builder; every mutator returns the builder, `build()` returns a fresh Snapshot. */
export class SnapshotBuilder {
  readonly specs: FlannelNodeSpec[];
  readonly corednsNodes: string[];
  readonly apiserverPod: boolean;
  readonly faults: Faults = {
    dsDeleted: false,
    isolated: false,
    stalled: new Set(),
    proxyCrash: new Set(),
    corednsState: 'ok',
    corednsLoop: false,
    upstreamDown: false,
    typo: new Set(),
    notReadyNodes: new Set(),
  };
  private readonly edits: ((s: Snapshot) => void)[] = [];

  constructor(opts: FlannelClusterOptions = {}) {
    const workers = opts.workers ?? 3;
    this.specs = Array.from({ length: workers + 1 }, (_, i) => ({
      name: i === 0 ? 'control-plane' : `worker-${i}`,
      podCIDR: `10.244.${i}.0/24`,
      internalIP: `192.168.1.${10 + i}`,
      vtepMac: mac(i + 1),
    }));
    this.corednsNodes = opts.corednsNodes ?? ['control-plane', 'worker-1'];
    this.apiserverPod = opts.apiserverPod ?? true;
  }

  /** A healthy flannel cluster: control-plane plus `workers` workers. */
  static flannel(opts: FlannelClusterOptions = {}): SnapshotBuilder {
    return new SnapshotBuilder(opts);
  }

  get workers(): string[] {
    return this.specs.slice(1).map((s) => s.name);
  }

  /** Seed 001: `kubectl delete ds kube-flannel-ds -n kube-flannel` (pods go with it). */
  deleteFlannelDaemonSet(): this {
    this.faults.dsDeleted = true;
    return this;
  }

  /** Seed 001: every pod-to-pod and DNS probe fails ("Destination Host Unreachable"). */
  isolatePods(): this {
    this.faults.isolated = true;
    return this;
  }

  /** Seed 004: the agent on `node` logs "Waiting for all goroutines to exit"; its peer routes are gone. */
  stallFlannel(node: string): this {
    this.faults.stalled.add(node);
    return this;
  }

  /** kube-proxy crash-loops on these nodes (default: every worker). */
  crashKubeProxy(nodes?: string[]): this {
    for (const n of nodes ?? this.workers) this.faults.proxyCrash.add(n);
    return this;
  }

  /** Every CoreDNS pod in CrashLoopBackOff. */
  crashCoredns(): this {
    this.faults.corednsState = 'crashloop';
    return this;
  }

  /** Every CoreDNS pod Running but failing readiness. */
  corednsNotReady(): this {
    this.faults.corednsState = 'not-ready';
    return this;
  }

  /** Seed 001: CoreDNS forwards to 192.168.4.1:53, which does not answer. */
  corednsUpstreamUnreachable(): this {
    this.faults.upstreamDown = true;
    return this;
  }

  /** The Corefile forwards to the node's resolv.conf, which points at 127.0.0.53: a loop. */
  corefileLoop(): this {
    this.faults.corednsLoop = true;
    return this;
  }

  /** Seed 004: the Service selects `app: webfrontend` while its pods carry `app: web-frontend`. */
  selectorTypo(svc = 'web-frontend'): this {
    this.faults.typo.add(svc);
    return this;
  }

  nodeNotReady(node: string): this {
    this.faults.notReadyNodes.add(node);
    return this;
  }

  /** Any other change, applied to the built snapshot in order. */
  edit(fn: (s: Snapshot) => void): this {
    this.edits.push(fn);
    return this;
  }

  private corednsIp(node: string): string {
    const i = this.specs.findIndex((s) => s.name === node);
    return `10.244.${i}.2`;
  }

  build(): Snapshot {
    const f = this.faults;
    const specs = this.specs;
    const cp = specs[0] as FlannelNodeSpec;
    const cluster: ClusterState = {
      serverVersion: 'v1.34.0',
      nodes: [],
      namespaces: ['default', 'kube-system', 'kube-public', 'kube-node-lease', 'kube-flannel'].map(
        (name) => ({ metadata: { name } }),
      ),
      pods: [],
      services: [],
      endpointSlices: [],
      daemonSets: [],
      deployments: [],
      configMaps: [],
      networkPolicies: [],
      events: [],
      logs: {},
    };
    for (const s of specs) {
      const isCp = s === cp;
      const node: K8sNode = {
        metadata: {
          name: s.name,
          labels: {
            'kubernetes.io/hostname': s.name,
            'kubernetes.io/os': 'linux',
            ...(isCp ? { 'node-role.kubernetes.io/control-plane': '' } : {}),
          },
          annotations: {
            'flannel.alpha.coreos.com/backend-data': JSON.stringify({ VNI: 1, VtepMAC: s.vtepMac }),
            'flannel.alpha.coreos.com/backend-type': 'vxlan',
            'flannel.alpha.coreos.com/kube-subnet-manager': 'true',
            'flannel.alpha.coreos.com/public-ip': s.internalIP,
          },
        },
        spec: {
          podCIDR: s.podCIDR,
          podCIDRs: [s.podCIDR],
          ...(isCp
            ? { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] }
            : {}),
        },
        status: {
          conditions: [
            { type: 'NetworkUnavailable', status: 'False', reason: 'FlannelIsUp' },
            f.notReadyNodes.has(s.name)
              ? {
                  type: 'Ready',
                  status: 'Unknown',
                  reason: 'NodeStatusUnknown',
                  message: 'Kubelet stopped posting node status.',
                }
              : {
                  type: 'Ready',
                  status: 'True',
                  reason: 'KubeletReady',
                  message: 'kubelet is posting ready status',
                },
          ],
          addresses: [
            { type: 'InternalIP', address: s.internalIP },
            { type: 'Hostname', address: s.name },
          ],
          nodeInfo: {
            kubeletVersion: 'v1.34.0',
            osImage: 'Ubuntu 24.04.1 LTS',
            kernelVersion: '6.8.0-45-generic',
            containerRuntimeVersion: 'containerd://1.7.22',
          },
        },
      };
      cluster.nodes.push(node);
    }

    // flannel
    const n = specs.length;
    if (!f.dsDeleted) {
      cluster.daemonSets.push({
        metadata: {
          name: 'kube-flannel-ds',
          namespace: 'kube-flannel',
          labels: { app: 'flannel', 'k8s-app': 'flannel' },
        },
        spec: {
          selector: { matchLabels: { app: 'flannel' } },
          template: { metadata: { labels: { app: 'flannel', tier: 'node' } } },
        },
        status: { desiredNumberScheduled: n, currentNumberScheduled: n, numberReady: n, numberAvailable: n },
      } satisfies K8sDaemonSet);
      specs.forEach((s, i) => {
        const name = `kube-flannel-ds-${(1000 + i).toString(36)}x`;
        const pod = runningPod(
          'kube-flannel',
          name,
          s.name,
          s.internalIP,
          { app: 'flannel', tier: 'node', 'controller-revision-hash': '6d7f9c8b5' },
          'kube-flannel',
          s.internalIP,
          true,
        );
        cluster.pods.push(pod);
        const lines = flannelLog(
          s,
          specs.filter((p) => p !== s),
        );
        if (f.stalled.has(s.name)) {
          const at = lines.findIndex((l) => l.includes('bootstrap done'));
          lines.splice(
            at + 1,
            lines.length,
            'I1006 09:00:02.150416       1 main.go:488] Waiting for all goroutines to exit',
          );
        }
        cluster.logs[`kube-flannel/${name}/kube-flannel`] = `${lines.join('\n')}\n`;
      });
    }
    cluster.configMaps.push({
      metadata: {
        name: 'kube-flannel-cfg',
        namespace: 'kube-flannel',
        labels: { app: 'flannel', tier: 'node' },
      },
      data: { 'cni-conf.json': FLANNEL_CNI_CONF, 'net-conf.json': FLANNEL_NET_CONF },
    } satisfies K8sConfigMap);

    // kube-proxy
    cluster.daemonSets.push({
      metadata: { name: 'kube-proxy', namespace: 'kube-system', labels: { 'k8s-app': 'kube-proxy' } },
      spec: {
        selector: { matchLabels: { 'k8s-app': 'kube-proxy' } },
        template: { metadata: { labels: { 'k8s-app': 'kube-proxy' } } },
      },
      status: {
        desiredNumberScheduled: n,
        currentNumberScheduled: n,
        numberReady: n - f.proxyCrash.size,
        numberAvailable: n - f.proxyCrash.size,
      },
    });
    specs.forEach((s, i) => {
      const name = `kube-proxy-${(2000 + i).toString(36)}q`;
      const pod = runningPod(
        'kube-system',
        name,
        s.name,
        s.internalIP,
        { 'k8s-app': 'kube-proxy', 'controller-revision-hash': '7c5d9d7b4' },
        'kube-proxy',
        s.internalIP,
        true,
      );
      if (f.proxyCrash.has(s.name)) {
        crashLoop(pod, 23, 'Error', 1);
        cluster.logs[`kube-system/${name}/kube-proxy/previous`] =
          'E1013 22:02:59.000000       1 run.go:74] "command failed" err="failed complete: unable to create proxier: can\'t set sysctl net/ipv4/conf/all/route_localnet to 1: open /proc/sys/net/ipv4/conf/all/route_localnet: read-only file system"\n';
      }
      cluster.logs[`kube-system/${name}/kube-proxy`] = `${KUBE_PROXY_LOG.join('\n')}\n`;
      cluster.pods.push(pod);
    });

    // CoreDNS
    const corednsPods: K8sPod[] = this.corednsNodes.map((node, i) => {
      const spec = specs.find((s) => s.name === node) as FlannelNodeSpec;
      const name = `coredns-5d78c9869d-${['x7k2p', 'q9m4z', 'b3n8w'][i] ?? `p${i}`}`;
      const pod = runningPod(
        'kube-system',
        name,
        node,
        this.corednsIp(node),
        { 'k8s-app': 'kube-dns', 'pod-template-hash': '5d78c9869d' },
        'coredns',
        spec.internalIP,
      );
      pod.spec.containers[0] = {
        name: 'coredns',
        image: 'registry.k8s.io/coredns/coredns:v1.11.1',
        args: ['-conf', '/etc/coredns/Corefile'],
        ports: [
          { name: 'dns', containerPort: 53, protocol: 'UDP' },
          { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' },
          { name: 'metrics', containerPort: 9153, protocol: 'TCP' },
        ],
      };
      const log = [...COREDNS_LOG];
      if (f.upstreamDown) {
        for (let k = 0; k < 6; k++) {
          log.push(
            `[ERROR] plugin/errors: 2 example.org. A: read udp ${this.corednsIp(node)}:${45678 + k}->192.168.4.1:53: i/o timeout`,
          );
        }
      }
      if (f.corednsLoop || f.corednsState === 'crashloop') {
        crashLoop(pod, 17, 'Error', 1);
        cluster.logs[`kube-system/${name}/coredns/previous`] = f.corednsLoop
          ? `${COREDNS_LOG.join('\n')}\n[FATAL] plugin/loop: Loop (127.0.0.1:55953 -> :53) detected for zone ".", see https://coredns.io/plugins/loop#troubleshooting. Query: "HINFO 4547991504243258144.3688648895315093531."\n`
          : `${COREDNS_LOG.join('\n')}\n[ERROR] plugin/errors: 2 2948472394.2934834. HINFO: read udp ${this.corednsIp(node)}:57211->192.168.4.1:53: i/o timeout\n[INFO] plugin/ready: Still waiting on: "kubernetes"\n`;
      } else if (f.corednsState === 'not-ready') {
        notReady(pod);
        log.push('[INFO] plugin/ready: Still waiting on: "kubernetes"');
      }
      cluster.logs[`kube-system/${name}/coredns`] = `${log.join('\n')}\n`;
      return pod;
    });
    cluster.pods.push(...corednsPods);
    const dnsReady = corednsPods.map(
      (p) => p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
    );
    cluster.deployments.push({
      metadata: { name: 'coredns', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } },
      spec: { replicas: corednsPods.length, selector: { matchLabels: { 'k8s-app': 'kube-dns' } } },
      status: { replicas: corednsPods.length, readyReplicas: dnsReady.filter(Boolean).length },
    } satisfies K8sDeployment);
    cluster.configMaps.push({
      metadata: { name: 'coredns', namespace: 'kube-system' },
      data: { Corefile: DEFAULT_COREFILE },
    });

    if (this.apiserverPod) {
      const pod = runningPod(
        'kube-system',
        'kube-apiserver-control-plane',
        cp.name,
        cp.internalIP,
        { component: 'kube-apiserver', tier: 'control-plane' },
        'kube-apiserver',
        cp.internalIP,
        true,
      );
      (pod.spec.containers[0] as { command?: string[] }).command = [
        'kube-apiserver',
        `--advertise-address=${cp.internalIP}`,
        '--service-cluster-ip-range=10.96.0.0/12',
        '--secure-port=6443',
      ];
      cluster.pods.push(pod);
    }

    // demo app: web-frontend on the last two workers
    const appNodes = specs.slice(-2);
    const appPods = appNodes.map((s, i) => {
      const idx = specs.indexOf(s);
      return runningPod(
        'default',
        `web-frontend-6f7b9c4d8-${['h2x9k', 'm4p7q'][i]}`,
        s.name,
        `10.244.${idx}.10`,
        { app: 'web-frontend', 'pod-template-hash': '6f7b9c4d8' },
        'web',
        s.internalIP,
      );
    });
    cluster.pods.push(...appPods);
    cluster.deployments.push({
      metadata: { name: 'web-frontend', namespace: 'default' },
      spec: { replicas: 2, selector: { matchLabels: { app: 'web-frontend' } } },
      status: { replicas: 2, readyReplicas: 2, availableReplicas: 2 },
    });

    const services: K8sService[] = [
      {
        metadata: {
          name: 'kubernetes',
          namespace: 'default',
          labels: { component: 'apiserver', provider: 'kubernetes' },
        },
        spec: {
          type: 'ClusterIP',
          clusterIP: '10.96.0.1',
          clusterIPs: ['10.96.0.1'],
          ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }],
        },
      },
      {
        metadata: { name: 'kube-dns', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } },
        spec: {
          type: 'ClusterIP',
          clusterIP: '10.96.0.10',
          clusterIPs: ['10.96.0.10'],
          selector: { 'k8s-app': 'kube-dns' },
          ports: [
            { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
            { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
          ],
        },
      },
      {
        metadata: { name: 'web-frontend', namespace: 'default' },
        spec: {
          type: 'ClusterIP',
          clusterIP: '10.96.100.10',
          clusterIPs: ['10.96.100.10'],
          selector: { app: f.typo.has('web-frontend') ? 'webfrontend' : 'web-frontend' },
          ports: [{ port: 80, protocol: 'TCP', targetPort: 8080 }],
        },
      },
    ];
    cluster.services.push(...services);
    cluster.endpointSlices.push(
      slice('default', 'kubernetes', [{ ip: cp.internalIP, node: cp.name, pod: '', ready: true }], 6443),
      slice(
        'kube-system',
        'kube-dns',
        corednsPods.map((p, i) => ({
          ip: p.status.podIP as string,
          node: p.spec.nodeName as string,
          pod: p.metadata.name,
          ready: dnsReady[i] ?? false,
        })),
        53,
        'UDP',
      ),
      slice(
        'default',
        'web-frontend',
        f.typo.has('web-frontend')
          ? []
          : appPods.map((p) => ({
              ip: p.status.podIP as string,
              node: p.spec.nodeName as string,
              pod: p.metadata.name,
              ready: true,
            })),
        8080,
      ),
    );

    // datapath
    const dnsEndpoints = corednsPods.filter((_, i) => dnsReady[i]).map((p) => p.status.podIP as string);
    const nodes: Record<string, NodeDatapath> = flannelDatapaths(specs, {
      services: [
        ...defaultServices(cp.internalIP, dnsEndpoints),
        {
          namespace: 'default',
          name: 'web-frontend',
          clusterIP: '10.96.100.10',
          ports: [{ port: 80, protocol: 'TCP', targetPort: 8080 }],
          endpoints: f.typo.has('web-frontend') ? [] : appPods.map((p) => p.status.podIP as string),
        },
      ],
    });
    for (const s of f.stalled) removePeerRoutes(nodes, s);
    if (f.corednsLoop) {
      for (const s of this.corednsNodes) {
        const d = nodes[s];
        if (d) d.resolvConf = { nameservers: ['127.0.0.53'], search: [], options: ['edns0', 'trust-ad'] };
      }
    }

    const snapshot: Snapshot = {
      meta: {
        createdAt: CREATED_AT,
        source: 'synthetic',
        netdoctorVersion: '0.1.0',
        description: 'snapshot-builder flannel cluster',
      },
      cluster,
      nodes,
      probes: { startedAt: CREATED_AT, durationMs: 4200, results: this.probes(corednsPods, dnsReady) },
      gaps: [],
    };
    for (const e of this.edits) e(snapshot);
    return snapshot;
  }

  /** Whether a packet from a pod on `a` reaches a pod on `b`, given the faults. */
  private reach(a: string, b: string): boolean {
    const f = this.faults;
    if (f.notReadyNodes.has(a) || f.notReadyNodes.has(b)) return false;
    if (a === b) return true;
    if (f.isolated) return false;
    return !f.stalled.has(a) && !f.stalled.has(b);
  }

  private probes(coredns: K8sPod[], dnsReady: boolean[]): ProbeResult[] {
    const f = this.faults;
    const out: ProbeResult[] = [];
    const timeout: ProbeOutcome = {
      status: 'fail',
      error: 'timeout',
      detail: 'connection timed out; no servers could be reached',
    };
    const pass = (rttMs: number): ProbeOutcome => ({ status: 'pass', rttMs });
    const probeIp = (node: string): string => `10.244.${this.specs.findIndex((s) => s.name === node)}.250`;
    const add = (
      scenario: ProbeScenario,
      from: string,
      to: ProbeResult['to'],
      toKey: string,
      ok: boolean,
      protocol: ProbeResult['protocol'],
    ): void => {
      out.push({
        id: `${scenario}/${from}/${toKey}`,
        scenario,
        from: { node: from, pod: `netdoctor-probe-${from}`, namespace: 'netdoctor', ip: probeIp(from) },
        to,
        ...(protocol ? { protocol } : {}),
        expect: 'pass',
        outcome: ok ? pass(scenario.startsWith('dns') ? 1.2 : 0.4) : timeout,
      });
    };
    const names = this.specs.map((s) => s.name);
    for (const from of names) {
      for (const to of names) {
        if (to === from) continue;
        add(
          'pod-to-pod-icmp',
          from,
          { node: to, pod: `netdoctor-probe-${to}`, ip: probeIp(to) },
          to,
          this.reach(from, to),
          'icmp',
        );
      }
      const podOk = coredns.map(
        (p, i) => (dnsReady[i] ?? false) && this.reach(from, p.spec.nodeName as string),
      );
      const viaService = podOk.every(Boolean) && !f.proxyCrash.has(from);
      for (const scenario of ['dns-udp', 'dns-tcp'] as const) {
        const protocol = scenario === 'dns-udp' ? 'udp' : 'tcp';
        add(
          scenario,
          from,
          { ip: '10.96.0.10', port: 53, name: 'kubernetes.default.svc.cluster.local' },
          'kube-dns',
          viaService,
          protocol,
        );
        coredns.forEach((p, i) => {
          add(
            scenario,
            from,
            {
              ip: p.status.podIP as string,
              port: 53,
              node: p.spec.nodeName as string,
              pod: p.metadata.name,
              name: 'kubernetes.default.svc.cluster.local',
            },
            p.metadata.name,
            podOk[i] ?? false,
            protocol,
          );
        });
      }
      add(
        'dns-udp',
        from,
        { ip: '10.96.0.10', port: 53, name: 'example.org' },
        'kube-dns/example.org',
        viaService && !f.upstreamDown,
        'udp',
      );
    }
    return out;
  }
}
