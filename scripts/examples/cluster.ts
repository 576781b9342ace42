/**
 * The Kubernetes objects of the example cluster, in the API's JSON shapes, built from the same
 * description as the datapath (world.ts) and from the kernel's real VTEP MACs, so nodes'
 * flannel annotations, pod IPs, Services and EndpointSlices agree with what was captured.
 * Manifest contents follow the upstream defaults: kube-flannel.yml, kubeadm's CoreDNS and
 * kube-proxy.
 */
import { createHash } from 'node:crypto';
import type {
  ClusterState,
  ContainerState,
  K8sConfigMap,
  K8sDaemonSet,
  K8sDeployment,
  K8sEndpointSlice,
  K8sEvent,
  K8sNetworkPolicy,
  K8sNode,
  K8sPod,
  K8sService,
} from '../../src/core/cluster-types.ts';
import { FLANNEL_CONFLIST } from './capture.ts';
import type { VtepMacs } from './topology.ts';
import {
  CLUSTER_CIDR,
  COREDNS_RS,
  NET_PODS,
  type NetPodSpec,
  NODES,
  type NodeSpec,
  type ServiceSpec,
  STOREFRONT_RS,
} from './world.ts';

export const K8S_VERSION = 'v1.30.5';
const FLANNEL_IMAGE = 'docker.io/flannel/flannel:v0.25.6';
const FLANNEL_CNI_IMAGE = 'docker.io/flannel/flannel-cni-plugin:v1.5.1-flannel2';
const PROXY_IMAGE = `registry.k8s.io/kube-proxy:${K8S_VERSION}`;
const COREDNS_IMAGE = 'registry.k8s.io/coredns/coredns:v1.11.3';
const ROUTER_IMAGE = 'docker.io/cloudnativelabs/kube-router:v2.2.1';
const PROBE_IMAGE = 'docker.io/library/busybox:1.36.1';

/** When the cluster was created and when its nodes last booted (seed 004's restart). */
export const CREATED = '2026-10-06T09:12:44Z';
export const BOOTED = '2026-10-13T21:58:31Z';
const STARTED = '2026-10-13T21:58:49Z';

export function uid(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
const cid = (seed: string): string => `containerd://${createHash('sha256').update(seed).digest('hex')}`;
const suffix = (seed: string, n = 5): string => {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  const h = createHash('sha256').update(seed).digest();
  return [...h.subarray(0, n)].map((b) => alphabet[b % alphabet.length]).join('');
};

function node(n: NodeSpec, macs: VtepMacs): K8sNode & Record<string, unknown> {
  const cp = n.name === 'control-plane';
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: n.name,
      uid: uid(`node/${n.name}`),
      creationTimestamp: CREATED,
      labels: {
        'beta.kubernetes.io/arch': 'amd64',
        'beta.kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/hostname': n.name,
        'kubernetes.io/os': 'linux',
        ...(cp
          ? {
              'node-role.kubernetes.io/control-plane': '',
              'node.kubernetes.io/exclude-from-external-load-balancers': '',
            }
          : {}),
      },
      annotations: {
        'flannel.alpha.coreos.com/backend-data': JSON.stringify({ VNI: 1, VtepMAC: macs[n.name] }),
        'flannel.alpha.coreos.com/backend-type': 'vxlan',
        'flannel.alpha.coreos.com/kube-subnet-manager': 'true',
        'flannel.alpha.coreos.com/public-ip': n.ip,
        'kubeadm.alpha.kubernetes.io/cri-socket': 'unix:///var/run/containerd/containerd.sock',
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
      },
    },
    spec: {
      podCIDR: n.podCIDR,
      podCIDRs: [n.podCIDR],
      ...(cp ? { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] } : {}),
    },
    status: {
      addresses: [
        { type: 'InternalIP', address: n.ip },
        { type: 'Hostname', address: n.name },
      ],
      conditions: [
        cond(
          'MemoryPressure',
          'False',
          'KubeletHasSufficientMemory',
          'kubelet has sufficient memory available',
        ),
        cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
      ],
      nodeInfo: {
        architecture: 'amd64',
        containerRuntimeVersion: 'containerd://1.6.20',
        kernelVersion: '6.1.0-26-amd64',
        kubeProxyVersion: K8S_VERSION,
        kubeletVersion: K8S_VERSION,
        operatingSystem: 'linux',
        osImage: 'Debian GNU/Linux 12 (bookworm)',
      },
    },
  } as K8sNode & Record<string, unknown>;
}

function cond(type: string, status: 'True' | 'False', reason: string, message: string) {
  return { type, status, reason, message, lastHeartbeatTime: BOOTED, lastTransitionTime: BOOTED };
}

interface PodOpts {
  name: string;
  namespace: string;
  node: string;
  ip?: string;
  hostNetwork?: boolean;
  labels: Record<string, string>;
  owner: { kind: string; name: string; apiVersion: string };
  containers: Record<string, unknown>[];
  /** Container status overrides (default: running and ready). */
  status?: { ready: boolean; restartCount: number; state: ContainerState; lastState?: ContainerState };
  phase?: 'Running' | 'Pending';
  priorityClassName?: string;
  serviceAccountName?: string;
}

function pod(o: PodOpts): K8sPod {
  const n = NODES.find((x) => x.name === o.node)!;
  const ip = o.hostNetwork ? n.ip : o.ip;
  const cs = o.status ?? { ready: true, restartCount: 0, state: { running: { startedAt: STARTED } } };
  const phase = o.phase ?? 'Running';
  const created = phase === 'Pending' ? '2026-10-14T08:02:11Z' : CREATED;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: o.name,
      namespace: o.namespace,
      uid: uid(`pod/${o.namespace}/${o.name}`),
      creationTimestamp: created,
      labels: o.labels,
      ownerReferences: [
        {
          apiVersion: o.owner.apiVersion,
          kind: o.owner.kind,
          name: o.owner.name,
          uid: uid(`${o.owner.kind}/${o.namespace}/${o.owner.name}`),
          controller: true,
          blockOwnerDeletion: true,
        } as { kind: string; name: string; uid: string },
      ],
    },
    spec: {
      nodeName: o.node,
      ...(o.hostNetwork ? { hostNetwork: true } : {}),
      containers: o.containers,
      dnsPolicy: o.hostNetwork ? 'ClusterFirstWithHostNet' : 'ClusterFirst',
      restartPolicy: 'Always',
      schedulerName: 'default-scheduler',
      serviceAccountName: o.serviceAccountName ?? 'default',
      ...(o.priorityClassName ? { priorityClassName: o.priorityClassName } : {}),
      terminationGracePeriodSeconds: 30,
    },
    status: {
      phase,
      hostIP: n.ip,
      hostIPs: [{ ip: n.ip }],
      ...(ip === undefined ? {} : { podIP: ip, podIPs: [{ ip }] }),
      startTime: phase === 'Pending' ? created : BOOTED,
      qosClass: 'Burstable',
      conditions: [
        {
          type: 'PodReadyToStartContainers',
          status: phase === 'Pending' ? 'False' : 'True',
          lastTransitionTime: STARTED,
        },
        { type: 'Initialized', status: 'True', lastTransitionTime: STARTED },
        {
          type: 'Ready',
          status: cs.ready ? 'True' : 'False',
          ...(cs.ready ? {} : { reason: 'ContainersNotReady' }),
          lastTransitionTime: STARTED,
        },
        {
          type: 'ContainersReady',
          status: cs.ready ? 'True' : 'False',
          ...(cs.ready ? {} : { reason: 'ContainersNotReady' }),
          lastTransitionTime: STARTED,
        },
        { type: 'PodScheduled', status: 'True', lastTransitionTime: created },
      ],
      containerStatuses: o.containers.map((c) => ({
        name: c['name'] as string,
        image: c['image'] as string,
        imageID: `${c['image'] as string}@sha256:${createHash('sha256')
          .update(c['image'] as string)
          .digest('hex')}`,
        ...(phase === 'Pending' ? {} : { containerID: cid(`${o.name}/${c['name'] as string}`) }),
        ready: cs.ready,
        restartCount: cs.restartCount,
        started: cs.state.running !== undefined,
        state: cs.state,
        ...(cs.lastState ? { lastState: cs.lastState } : { lastState: {} }),
      })),
    },
  } as unknown as K8sPod;
}

export interface PodNames {
  flannel: Record<string, string>;
  proxy: Record<string, string>;
  router: Record<string, string>;
}

export function podNames(): PodNames {
  const by = (prefix: string) =>
    Object.fromEntries(NODES.map((n) => [n.name, `${prefix}-${suffix(prefix + n.name)}`]));
  return { flannel: by('kube-flannel-ds'), proxy: by('kube-proxy'), router: by('kube-router') };
}

const NET_CONF = `{
  "Network": "${CLUSTER_CIDR}",
  "EnableNFTables": false,
  "Backend": {
    "Type": "vxlan"
  }
}
`;

export const COREFILE = `.:53 {
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
    cache 30 {
       disable success cluster.local
       disable denial cluster.local
    }
    loop
    reload
    loadbalance
}
`;

const KUBE_PROXY_CONF = `apiVersion: kubeproxy.config.k8s.io/v1alpha1
bindAddress: 0.0.0.0
bindAddressHardFail: false
clientConnection:
  acceptContentTypes: ""
  burst: 0
  contentType: ""
  kubeconfig: /var/lib/kube-proxy/kubeconfig.conf
  qps: 0
clusterCIDR: ${CLUSTER_CIDR}
configSyncPeriod: 0s
conntrack:
  maxPerCore: null
  min: null
  tcpCloseWaitTimeout: null
  tcpEstablishedTimeout: null
detectLocalMode: ""
enableProfiling: false
healthzBindAddress: ""
hostnameOverride: ""
iptables:
  localhostNodePorts: null
  masqueradeAll: false
  masqueradeBit: null
  minSyncPeriod: 0s
  syncPeriod: 0s
kind: KubeProxyConfiguration
metricsBindAddress: ""
mode: ""
nodePortAddresses: null
oomScoreAdj: null
portRange: ""
`;

/** klog lines of a healthy flanneld start on node `n`. */
export function flannelLog(n: NodeSpec, macs: VtepMacs, stalled: boolean): string {
  const peers = NODES.filter((p) => p.name !== n.name);
  const hex = (ip: string): string =>
    `0x${ip
      .split('.')
      .map((o) => Number(o).toString(16).padStart(2, '0'))
      .join('')}`;
  const lines = [
    `I1013 21:58:49.826530       1 main.go:211] CLI flags config: {etcdEndpoints:http://127.0.0.1:4001,http://127.0.0.1:2379 etcdPrefix:/coreos.com/network etcdKeyfile: etcdCertfile: etcdCAFile: etcdUsername: etcdPassword: version:false kubeSubnetMgr:true kubeApiUrl: kubeAnnotationPrefix:flannel.alpha.coreos.com kubeConfigFile: iface:[] ifaceRegex:[] ipMasq:true ifaceCanReach: subnetFile:/run/flannel/subnet.env publicIP: publicIPv6: subnetLeaseRenewMargin:60 healthzIP:0.0.0.0 healthzPort:0 iptablesResyncSeconds:5 iptablesForwardRules:true netConfPath:/etc/kube-flannel/net-conf.json setNodeNetworkUnavailable:true}`,
    'W1013 21:58:49.826633       1 client_config.go:618] Neither --kubeconfig nor --master was specified.  Using the inClusterConfig.  This might not work.',
    'I1013 21:58:49.839410       1 kube.go:139] Waiting 10m0s for node controller to sync',
    'I1013 21:58:49.839452       1 kube.go:469] Starting kube subnet manager',
    'I1013 21:58:50.839567       1 kube.go:146] Node controller sync successful',
    `I1013 21:58:50.839590       1 main.go:231] Created subnet manager: Kubernetes Subnet Manager - ${n.name}`,
    'I1013 21:58:50.839595       1 main.go:234] Installing signal handlers',
    'I1013 21:58:50.839700       1 main.go:468] Found network config - Backend type: vxlan',
    'I1013 21:58:50.842068       1 match.go:210] Determining IP address of default interface',
    `I1013 21:58:50.842404       1 match.go:263] Using interface with name eth0 and address ${n.ip}`,
    `I1013 21:58:50.842428       1 match.go:285] Defaulting external address to interface address (${n.ip})`,
    'I1013 21:58:50.842486       1 vxlan.go:141] VXLAN config: VNI=1 Port=0 GBP=false Learning=false DirectRouting=false',
    `I1013 21:58:50.844938       1 kube.go:636] List of node(${n.name}) annotations: map[string]string{"flannel.alpha.coreos.com/backend-data":"{\\"VNI\\":1,\\"VtepMAC\\":\\"${macs[n.name]}\\"}", "flannel.alpha.coreos.com/backend-type":"vxlan", "flannel.alpha.coreos.com/kube-subnet-manager":"true", "flannel.alpha.coreos.com/public-ip":"${n.ip}", "node.alpha.kubernetes.io/ttl":"0", "volumes.kubernetes.io/controller-managed-attach-detach":"true"}`,
    'I1013 21:58:50.845002       1 main.go:341] Setting up masking rules',
    'I1013 21:58:50.847370       1 main.go:362] Changing default FORWARD chain policy to ACCEPT',
    'I1013 21:58:50.847469       1 iptables.go:290] generated 7 rules',
    'I1013 21:58:50.849125       1 main.go:390] Wrote subnet file to /run/flannel/subnet.env',
    'I1013 21:58:50.849143       1 main.go:394] Running backend.',
    'I1013 21:58:50.849261       1 vxlan_network.go:65] watching for new subnet leases',
    'I1013 21:58:50.849303       1 iptables.go:290] generated 3 rules',
  ];
  let t = 312019;
  for (const [i, p] of peers.entries()) {
    lines.push(
      `I1013 21:58:50.${String(850125 + i * 1310)}       1 subnet.go:152] Batch elem [${i}] is { lease.Event{Type:0, Lease:lease.Lease{EnableIPv4:true, EnableIPv6:false, Subnet:ip.IP4Net{IP:${hex(p.vtepIP)}, PrefixLen:0x18}, IPv6Subnet:ip.IP6Net{IP:(*ip.IP6)(nil), PrefixLen:0x0}, Attrs:lease.LeaseAttrs{PublicIP:${hex(p.ip)}, PublicIPv6:(*ip.IP6)(nil), BackendType:"vxlan", BackendData:json.RawMessage{}, BackendV6Data:json.RawMessage(nil)}, Expiration:time.Date(1, time.January, 1, 0, 0, 0, 0, time.UTC), Asof:0}} }`,
    );
  }
  // The last lines, with seed 004's timestamps.
  for (const p of peers) {
    lines.push(
      `I1013 21:58:50.${String(t).padStart(6, '0')}       1 vxlan_network.go:100] Received Subnet Event with VxLan: BackendType: vxlan, PublicIP: ${p.ip}, PublicIPv6: (nil), BackendData: {"VNI":1,"VtepMAC":"${macs[p.name]}"}, BackendV6Data: (nil)`,
    );
    t += 2047;
  }
  lines.push('I1013 21:58:50.343338       1 iptables.go:357] bootstrap done');
  if (stalled) lines.push('I1013 21:58:50.350416       1 main.go:488] Waiting for all goroutines to exit');
  else lines.push('I1013 21:58:50.361952       1 iptables.go:357] bootstrap done');
  return `${lines.join('\n')}\n`;
}

function proxyLog(n: NodeSpec): string {
  return [
    `I1013 21:58:40.118223       1 server_linux.go:69] "Using iptables proxy"`,
    `I1013 21:58:40.131540       1 server.go:1062] "Successfully retrieved node IP(s)" IPs=["${n.ip}"]`,
    `I1013 21:58:40.133922       1 conntrack.go:58] "Setting nf_conntrack_max" nfConntrackMax=131072`,
    `I1013 21:58:40.165318       1 server.go:659] "kube-proxy running in dual-stack mode" primary ipFamily="IPv4"`,
    `I1013 21:58:40.165346       1 server_linux.go:165] "Using iptables Proxier"`,
    `I1013 21:58:40.167013       1 server_linux.go:528] "Detect-local-mode set to ClusterCIDR, but no cluster CIDR for family" ipFamily="IPv6"`,
    `I1013 21:58:40.167046       1 server_linux.go:552] "Defaulting to no-op detect-local"`,
    `I1013 21:58:40.167078       1 proxier.go:243] "Setting route_localnet=1 to allow node-ports on localhost; to change this either disable iptables.localhostNodePorts (--iptables-localhost-nodeports) or set nodePortAddresses (--nodeport-addresses) to filter loopback addresses"`,
    `I1013 21:58:40.167561       1 server.go:872] "Version info" version="${K8S_VERSION}"`,
    `I1013 21:58:40.169480       1 config.go:192] "Starting service config controller"`,
    `I1013 21:58:40.169505       1 shared_informer.go:313] Waiting for caches to sync for service config`,
    `I1013 21:58:40.169537       1 config.go:101] "Starting endpoint slice config controller"`,
    `I1013 21:58:40.169547       1 shared_informer.go:313] Waiting for caches to sync for endpoint slice config`,
    `I1013 21:58:40.270113       1 shared_informer.go:320] Caches are synced for endpoint slice config`,
    `I1013 21:58:40.270124       1 shared_informer.go:320] Caches are synced for service config`,
    '',
  ].join('\n');
}

function corednsLog(): string {
  return [
    '.:53',
    '[INFO] plugin/reload: Running configuration SHA512 = 591cf328cccc12bc490481273e738df59329c62c0b729d94e8b61db9961c2fa5f046dd37f1cf888b953814040d180f52594972691cd6ff41be96639138a43908',
    'CoreDNS-1.11.3',
    'linux/amd64, go1.21.11, a6338e9',
    '',
  ].join('\n');
}

function routerLog(n: NodeSpec): string {
  return [
    `I1013 21:58:41.402117       1 kube-router.go:231] Running /usr/local/bin/kube-router version v2.2.1, built on 2024-10-02T16:01:52+0000, go1.22.8`,
    `I1013 21:58:41.507930       1 network_policy_controller.go:164] Starting network policy controller`,
    `I1013 21:58:41.518342       1 network_policy_controller.go:176] Starting network policy controller full sync goroutine`,
    `I1013 21:58:41.611224       1 network_policy_controller.go:214] Node ${n.name} has IP ${n.ip}`,
    '',
  ].join('\n');
}

/** Everything needed to assemble the ClusterState of one example. */
export interface ClusterOptions {
  macs: VtepMacs;
  services: ServiceSpec[];
  /** Endpoint pod IPs per Service (`ns/name`), as the EndpointSlice controller sees them. */
  endpoints: Record<string, string[]>;
  policies: K8sNetworkPolicy[];
}

function labelsOf(p: NetPodSpec): Record<string, string> {
  return p.labels;
}

export function buildCluster(o: ClusterOptions): ClusterState {
  const names = podNames();
  const pods: K8sPod[] = [];
  const logs: Record<string, string> = {};
  for (const n of NODES) {
    pods.push(
      pod({
        name: names.flannel[n.name]!,
        namespace: 'kube-flannel',
        node: n.name,
        hostNetwork: true,
        labels: {
          app: 'flannel',
          'controller-revision-hash': '6b9c4f7d8',
          'pod-template-generation': '1',
          tier: 'node',
        },
        owner: { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'kube-flannel-ds' },
        containers: [
          {
            name: 'kube-flannel',
            image: FLANNEL_IMAGE,
            command: ['/opt/bin/flanneld'],
            args: ['--ip-masq', '--kube-subnet-mgr'],
          },
        ],
        priorityClassName: 'system-node-critical',
        serviceAccountName: 'flannel',
      }),
    );
    logs[`kube-flannel/${names.flannel[n.name]}/kube-flannel`] = flannelLog(n, o.macs, false);
    pods.push(
      pod({
        name: names.proxy[n.name]!,
        namespace: 'kube-system',
        node: n.name,
        hostNetwork: true,
        labels: {
          'controller-revision-hash': '7c5f9b8d6c',
          'k8s-app': 'kube-proxy',
          'pod-template-generation': '1',
        },
        owner: { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'kube-proxy' },
        containers: [
          {
            name: 'kube-proxy',
            image: PROXY_IMAGE,
            command: [
              '/usr/local/bin/kube-proxy',
              '--config=/var/lib/kube-proxy/config.conf',
              '--hostname-override=$(NODE_NAME)',
            ],
          },
        ],
        priorityClassName: 'system-node-critical',
        serviceAccountName: 'kube-proxy',
      }),
    );
    logs[`kube-system/${names.proxy[n.name]}/kube-proxy`] = proxyLog(n);
    pods.push(
      pod({
        name: names.router[n.name]!,
        namespace: 'kube-system',
        node: n.name,
        hostNetwork: true,
        labels: {
          'controller-revision-hash': '5d8f6c7b94',
          'k8s-app': 'kube-router',
          'pod-template-generation': '1',
          tier: 'node',
        },
        owner: { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'kube-router' },
        containers: [
          {
            name: 'kube-router',
            image: ROUTER_IMAGE,
            args: [
              '--run-router=false',
              '--run-firewall=true',
              '--run-service-proxy=false',
              '--bgp-graceful-restart=true',
            ],
          },
        ],
        priorityClassName: 'system-node-critical',
        serviceAccountName: 'kube-router',
      }),
    );
    logs[`kube-system/${names.router[n.name]}/kube-router`] = routerLog(n);
  }
  for (const p of NET_PODS) {
    if (p.role === 'coredns') {
      pods.push(
        pod({
          name: p.name,
          namespace: p.namespace,
          node: p.node,
          ip: p.ip,
          labels: labelsOf(p),
          owner: { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: COREDNS_RS },
          containers: [
            {
              name: 'coredns',
              image: COREDNS_IMAGE,
              args: ['-conf', '/etc/coredns/Corefile'],
              ports: [
                { name: 'dns', containerPort: 53, protocol: 'UDP' },
                { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' },
                { name: 'metrics', containerPort: 9153, protocol: 'TCP' },
              ],
            },
          ],
          priorityClassName: 'system-cluster-critical',
          serviceAccountName: 'coredns',
        }),
      );
      logs[`${p.namespace}/${p.name}/coredns`] = corednsLog();
    } else if (p.role === 'app') {
      pods.push(
        pod({
          name: p.name,
          namespace: p.namespace,
          node: p.node,
          ip: p.ip,
          labels: labelsOf(p),
          owner: { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: STOREFRONT_RS },
          containers: [
            {
              name: 'storefront',
              image: PROBE_IMAGE,
              command: ['httpd', '-f', '-p', '8080', '-h', '/srv/www'],
              ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
            },
          ],
        }),
      );
      logs[`${p.namespace}/${p.name}/storefront`] = '';
    } else {
      pods.push(
        pod({
          name: p.name,
          namespace: p.namespace,
          node: p.node,
          ip: p.ip,
          labels: labelsOf(p),
          owner: { apiVersion: 'v1', kind: 'Node', name: p.node },
          containers: [
            {
              name: 'probe',
              image: PROBE_IMAGE,
              command: ['httpd', '-f', '-p', '8080', '-h', '/srv/www'],
              ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
            },
          ],
        }),
      );
    }
  }
  const services: K8sService[] = o.services.map((s) => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: s.name,
      namespace: s.namespace,
      uid: uid(`svc/${s.namespace}/${s.name}`),
      creationTimestamp: CREATED,
      ...(s.labels ? { labels: s.labels } : {}),
      ...(s.name === 'kube-dns'
        ? { annotations: { 'prometheus.io/port': '9153', 'prometheus.io/scrape': 'true' } }
        : {}),
    },
    spec: {
      type: s.type,
      clusterIP: s.clusterIP,
      clusterIPs: [s.clusterIP],
      internalTrafficPolicy: 'Cluster',
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      sessionAffinity: 'None',
      ...(Object.keys(s.selector).length > 0 ? { selector: s.selector } : {}),
      ...(s.type === 'NodePort' ? { externalTrafficPolicy: 'Cluster' } : {}),
      ports: s.ports.map((p) => ({
        name: p.name,
        protocol: p.protocol,
        port: p.port,
        targetPort: p.targetPort,
        ...(p.nodePort === undefined ? {} : { nodePort: p.nodePort }),
      })),
    },
    status: { loadBalancer: {} },
  })) as K8sService[];
  const endpointSlices: K8sEndpointSlice[] = o.services.map((s) => {
    const ips = o.endpoints[`${s.namespace}/${s.name}`] ?? [];
    const api = s.name === 'kubernetes';
    return {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: {
        name: api ? 'kubernetes' : `${s.name}-${suffix(`slice/${s.name}`)}`,
        namespace: s.namespace,
        uid: uid(`slice/${s.namespace}/${s.name}`),
        creationTimestamp: CREATED,
        labels: {
          'kubernetes.io/service-name': s.name,
          'endpointslice.kubernetes.io/managed-by': api
            ? 'endpointslice-controller.k8s.io'
            : 'endpointslice-controller.k8s.io',
          ...(s.labels ?? {}),
        },
        ownerReferences: [{ kind: 'Service', name: s.name, uid: uid(`svc/${s.namespace}/${s.name}`) }],
      },
      addressType: 'IPv4',
      endpoints:
        ips.length === 0
          ? null
          : ips.map((ip) => {
              const p = NET_PODS.find((x) => x.ip === ip);
              return {
                addresses: [ip],
                conditions: { ready: true, serving: true, terminating: false },
                ...(p
                  ? {
                      nodeName: p.node,
                      targetRef: {
                        kind: 'Pod',
                        name: p.name,
                        namespace: p.namespace,
                        uid: uid(`pod/${p.namespace}/${p.name}`),
                      },
                    }
                  : {}),
              };
            }),
      ports: s.ports.map((p) => ({ name: p.name, port: api ? 6443 : p.targetPort, protocol: p.protocol })),
    } as unknown as K8sEndpointSlice;
  });
  const ds = (
    ns: string,
    name: string,
    labels: Record<string, string>,
    sel: Record<string, string>,
    containers: Record<string, unknown>[],
    extra: Record<string, unknown> = {},
  ): K8sDaemonSet =>
    ({
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: {
        name,
        namespace: ns,
        uid: uid(`DaemonSet/${ns}/${name}`),
        creationTimestamp: CREATED,
        generation: 1,
        labels,
      },
      spec: {
        selector: { matchLabels: sel },
        template: {
          metadata: { labels: { ...sel, ...(labels['tier'] ? { tier: labels['tier'] } : {}) } },
          spec: { hostNetwork: true, containers, ...extra },
        },
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } },
      },
      status: {
        currentNumberScheduled: 3,
        desiredNumberScheduled: 3,
        numberAvailable: 3,
        numberMisscheduled: 0,
        numberReady: 3,
        observedGeneration: 1,
        updatedNumberScheduled: 3,
      },
    }) as unknown as K8sDaemonSet;
  const daemonSets = [
    ds(
      'kube-flannel',
      'kube-flannel-ds',
      { app: 'flannel', 'k8s-app': 'flannel', tier: 'node' },
      { app: 'flannel' },
      [
        {
          name: 'kube-flannel',
          image: FLANNEL_IMAGE,
          command: ['/opt/bin/flanneld'],
          args: ['--ip-masq', '--kube-subnet-mgr'],
          resources: { requests: { cpu: '100m', memory: '50Mi' } },
          securityContext: { privileged: false, capabilities: { add: ['NET_ADMIN', 'NET_RAW'] } },
          env: [
            { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
            { name: 'EVENT_QUEUE_DEPTH', value: '5000' },
          ],
          volumeMounts: [
            { name: 'run', mountPath: '/run/flannel' },
            { name: 'flannel-cfg', mountPath: '/etc/kube-flannel/' },
            { name: 'xtables-lock', mountPath: '/run/xtables.lock' },
          ],
        },
      ],
      {
        priorityClassName: 'system-node-critical',
        serviceAccountName: 'flannel',
        tolerations: [{ operator: 'Exists', effect: 'NoSchedule' }],
        initContainers: [
          {
            name: 'install-cni-plugin',
            image: FLANNEL_CNI_IMAGE,
            command: ['cp'],
            args: ['-f', '/flannel', '/opt/cni/bin/flannel'],
          },
          {
            name: 'install-cni',
            image: FLANNEL_IMAGE,
            command: ['cp'],
            args: ['-f', '/etc/kube-flannel/cni-conf.json', '/etc/cni/net.d/10-flannel.conflist'],
          },
        ],
      },
    ),
    ds('kube-system', 'kube-proxy', { 'k8s-app': 'kube-proxy' }, { 'k8s-app': 'kube-proxy' }, [
      {
        name: 'kube-proxy',
        image: PROXY_IMAGE,
        command: [
          '/usr/local/bin/kube-proxy',
          '--config=/var/lib/kube-proxy/config.conf',
          '--hostname-override=$(NODE_NAME)',
        ],
      },
    ]),
    ds(
      'kube-system',
      'kube-router',
      { 'k8s-app': 'kube-router', tier: 'node' },
      { 'k8s-app': 'kube-router' },
      [
        {
          name: 'kube-router',
          image: ROUTER_IMAGE,
          args: [
            '--run-router=false',
            '--run-firewall=true',
            '--run-service-proxy=false',
            '--bgp-graceful-restart=true',
          ],
        },
      ],
    ),
  ];
  const deploy = (
    ns: string,
    name: string,
    labels: Record<string, string>,
    sel: Record<string, string>,
    replicas: number,
  ): K8sDeployment =>
    ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name,
        namespace: ns,
        uid: uid(`Deployment/${ns}/${name}`),
        creationTimestamp: CREATED,
        generation: 1,
        labels,
      },
      spec: {
        replicas,
        selector: { matchLabels: sel },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } },
      },
      status: {
        observedGeneration: 1,
        replicas,
        readyReplicas: replicas,
        availableReplicas: replicas,
        updatedReplicas: replicas,
      },
    }) as unknown as K8sDeployment;
  const deployments = [
    deploy('kube-system', 'coredns', { 'k8s-app': 'kube-dns' }, { 'k8s-app': 'kube-dns' }, 2),
    deploy('shop', 'storefront', { app: 'storefront' }, { app: 'storefront' }, 1),
  ];
  const cm = (
    ns: string,
    name: string,
    data: Record<string, string>,
    labels?: Record<string, string>,
  ): K8sConfigMap =>
    ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name,
        namespace: ns,
        uid: uid(`cm/${ns}/${name}`),
        creationTimestamp: CREATED,
        ...(labels ? { labels } : {}),
      },
      data,
    }) as K8sConfigMap;
  const configMaps = [
    cm(
      'kube-flannel',
      'kube-flannel-cfg',
      { 'cni-conf.json': FLANNEL_CONFLIST, 'net-conf.json': NET_CONF },
      { app: 'flannel', 'k8s-app': 'flannel', tier: 'node' },
    ),
    cm('kube-system', 'coredns', { Corefile: COREFILE }),
    cm('kube-system', 'kube-proxy', { 'config.conf': KUBE_PROXY_CONF }, { app: 'kube-proxy' }),
  ];
  const namespaces = [
    'default',
    'kube-flannel',
    'kube-node-lease',
    'kube-public',
    'kube-system',
    'netdoctor',
    'shop',
  ].map((name) => ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name,
      uid: uid(`ns/${name}`),
      creationTimestamp: CREATED,
      labels: { 'kubernetes.io/metadata.name': name },
    },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  }));
  return {
    serverVersion: K8S_VERSION,
    nodes: NODES.map((n) => node(n, o.macs)),
    namespaces,
    pods,
    services,
    endpointSlices,
    daemonSets,
    deployments,
    configMaps,
    networkPolicies: o.policies,
    events: [],
    logs,
  };
}

export function event(
  ns: string,
  involved: { kind: string; name: string; namespace?: string },
  reason: string,
  message: string,
  type: 'Normal' | 'Warning',
  count: number,
  last: string,
  source: string,
): K8sEvent {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: {
      name: `${involved.name}.${createHash('sha256')
        .update(reason + message)
        .digest('hex')
        .slice(0, 16)}`,
      namespace: ns,
      creationTimestamp: last,
    },
    involvedObject: {
      ...involved,
      apiVersion: involved.kind === 'Node' ? 'v1' : 'v1',
      uid: uid(`${involved.kind}/${involved.namespace ?? ''}/${involved.name}`),
    },
    reason,
    message,
    type,
    count,
    firstTimestamp: BOOTED,
    lastTimestamp: last,
    source: { component: source },
    reportingComponent: source,
  } as K8sEvent;
}
