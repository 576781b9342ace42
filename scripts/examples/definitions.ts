/**
 * The recorded examples: each names its fault, the seed it comes from, the root cause analysis
 * should name, the real commands that inject it into the mini datapath, and how the cluster's
 * objects show it.
 */
import type { ClusterState, K8sNetworkPolicy, K8sPod } from '../../src/core/cluster-types.ts';
import type { RootCauseCategory, Subject } from '../../src/core/model.ts';
import { event, flannelLog, podNames, uid } from './cluster.ts';
import { flannelMasqueradeRule, type PodPolicy } from './iptables-rules.ts';
import { run, sh } from './sh.ts';
import type { VtepMacs } from './topology.ts';
import { appPod, corednsPods, NET_PODS, NODES, nodeByName, OUTSIDE_DNS, STOREFRONT_RS } from './world.ts';

export interface Expected {
  category: RootCauseCategory;
  subject: Subject;
}

export interface ExampleDef {
  id: string;
  title: string;
  seed: string | null;
  fault: string;
  expected: Expected[];
  /** Other answers that also name the fault correctly (e.g. the stalled agent's missing routes). */
  alternatives?: Expected[];
  description: string;
  storefrontSelector?: Record<string, string>;
  policies?: K8sNetworkPolicy[];
  enforce?: PodPolicy[];
  /** Overlay MTU written to subnet.env, per node (default 1450). */
  mtu?: Record<string, number>;
  /** Nodes whose /run/flannel/subnet.env is gone. */
  noSubnetEnv?: string[];
  /** CoreDNS pods whose process is down (crash-looping). */
  corednsDown?: boolean;
  /** Injects the fault into the running datapath, with the commands an outage involves. */
  apply?: (macs: VtepMacs) => string[];
  /** How the fault shows in the API objects. */
  mutate?: (c: ClusterState, macs: VtepMacs) => void;
}

/** Runs each command line in a node's namespace and returns them as `node$ cmd` for the record. */
function onNode(node: string, cmds: string[]): string[] {
  const n = nodeByName(node);
  sh(n.ns, cmds.join('\n'));
  return cmds.map((c) => `${node}$ ${c}`);
}

function findPod(c: ClusterState, name: string): K8sPod {
  const p = c.pods.find((x) => x.metadata.name === name);
  if (!p) throw new Error(`no pod ${name}`);
  return p;
}

function crashLoop(p: K8sPod, restarts: number, finishedAt: string): void {
  const cs = p.status.containerStatuses![0]!;
  cs.ready = false;
  cs.restartCount = restarts;
  cs.state = {
    waiting: {
      reason: 'CrashLoopBackOff',
      message: `back-off 5m0s restarting failed container=${cs.name} pod=${p.metadata.name}_${p.metadata.namespace}(${p.metadata.uid})`,
    },
  };
  cs.lastState = { terminated: { reason: 'Error', exitCode: 1, finishedAt } };
  (cs as unknown as Record<string, unknown>)['started'] = false;
  for (const cond of p.status.conditions ?? []) {
    if (cond.type === 'Ready' || cond.type === 'ContainersReady') {
      cond.status = 'False';
      cond.reason = 'ContainersNotReady';
    }
  }
}

const sub = (kind: Subject['kind'], name: string, namespace?: string): Subject =>
  namespace === undefined ? { kind, name } : { kind, name, namespace };

export const EXAMPLES: ExampleDef[] = [
  {
    id: 'healthy',
    title: 'Healthy three-node flannel cluster',
    seed: null,
    fault: 'none',
    expected: [],
    description:
      'A healthy three-node cluster (flannel VXLAN, kube-proxy iptables on the nft backend, CoreDNS on two nodes). Every probe passes; analysis should report no root cause.',
  },
  {
    id: 'flannel-stalled',
    title: 'flannel agent on worker-2 stalled while its pod stays Running',
    seed: '004',
    fault:
      'flannel on worker-2 exited its main loop after bootstrap; worker-2 has no routes, neighbours or FDB entries for its peers',
    expected: [{ category: 'cni.agent-stalled', subject: sub('Node', 'worker-2') }],
    alternatives: [{ category: 'cni.routes-missing', subject: sub('Node', 'worker-2') }],
    description:
      'Seed 004: the flannel pod on worker-2 is Running but its log ends with "Waiting for all goroutines to exit" right after "bootstrap done"; worker-2 has no routes to 10.244.0.0/24 and 10.244.1.0/24 and no VXLAN FDB or neighbour entries for its peers. Cross-node traffic from and to worker-2 times out, and DNS queries that land on the CoreDNS pod on worker-2 time out from the other nodes. Expected root cause: cni.agent-stalled (or cni.routes-missing) on Node worker-2.',
    apply: (macs) => {
      const cmds = ['ip route flush dev flannel.1', 'ip neigh flush dev flannel.1 nud permanent'];
      for (const p of NODES)
        if (p.name !== 'worker-2') cmds.push(`bridge fdb del ${macs[p.name]} dev flannel.1 dst ${p.ip}`);
      return onNode('worker-2', cmds);
    },
    mutate: (c, macs) => {
      const name = podNames().flannel['worker-2']!;
      c.logs[`kube-flannel/${name}/kube-flannel`] = flannelLog(nodeByName('worker-2'), macs, true);
    },
  },
  {
    id: 'cni0-wrong-address',
    title: 'cni0 on worker-1 carries an address outside its pod subnet',
    seed: '002',
    fault: 'cni0 on worker-1 holds 10.88.0.1/16 (left by a stale bridge config) instead of 10.244.1.1/24',
    expected: [{ category: 'cni.bridge-address-mismatch', subject: sub('Node', 'worker-1') }],
    description:
      'Seed 002: the cni0 bridge on worker-1 carries 10.88.0.1/16, outside the node\'s podCIDR 10.244.1.0/24, so pods on worker-1 lose their gateway (no cross-node or external traffic) and new pods fail with "cni0" already has an IP address different from 10.244.1.1/24. Expected root cause: cni.bridge-address-mismatch on Node worker-1.',
    apply: () => onNode('worker-1', ['ip addr flush dev cni0', 'ip addr add 10.88.0.1/16 dev cni0']),
    mutate: (c) => {
      const name = `${STOREFRONT_RS}-m2x9t`;
      const app = findPod(c, appPod().name);
      const pending = structuredClone(app);
      pending.metadata.name = name;
      pending.metadata.uid = uid(`pod/shop/${name}`);
      pending.metadata.creationTimestamp = '2026-10-14T08:02:11Z';
      pending.status = {
        phase: 'Pending',
        hostIP: app.status.hostIP!,
        conditions: [
          { type: 'PodReadyToStartContainers', status: 'False' },
          { type: 'Initialized', status: 'True' },
          { type: 'Ready', status: 'False', reason: 'ContainersNotReady' },
          { type: 'ContainersReady', status: 'False', reason: 'ContainersNotReady' },
          { type: 'PodScheduled', status: 'True' },
        ],
        containerStatuses: [
          {
            name: 'storefront',
            ready: false,
            restartCount: 0,
            image: 'docker.io/library/busybox:1.36.1',
            state: { waiting: { reason: 'ContainerCreating' } },
          },
        ],
      };
      c.pods.push(pending);
      const d = c.deployments.find((x) => x.metadata.name === 'storefront')!;
      d.spec.replicas = 2;
      d.status = { replicas: 2, readyReplicas: 1, availableReplicas: 1, unavailableReplicas: 1 };
      c.events.push(
        event(
          'shop',
          { kind: 'Pod', name, namespace: 'shop' },
          'FailedCreatePodSandBox',
          `Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox "4b1f0c2e9a7d3b6c5e8f1a2d4c7b9e0f3a6d8c1b5e2f7a9c4d6b8e1f3a5c7d9b": plugin type="flannel" failed (add): failed to delegate add: failed to set bridge addr: "cni0" already has an IP address different from 10.244.1.1/24`,
          'Warning',
          23,
          '2026-10-14T08:13:40Z',
          'kubelet',
        ),
      );
    },
  },
  {
    id: 'ip-forward-off',
    title: 'IP forwarding switched off on worker-1',
    seed: '001',
    fault: 'sysctl -w net.ipv4.ip_forward=0 on worker-1',
    expected: [{ category: 'node.ip-forward-disabled', subject: sub('Node', 'worker-1') }],
    description:
      "Seed 001 (system networking): net.ipv4.ip_forward is 0 on worker-1, so the node no longer routes between cni0, flannel.1 and eth0: pods on worker-1 reach only their own node's pods, and NodePort traffic to worker-1 fails. Expected root cause: node.ip-forward-disabled on Node worker-1.",
    apply: () => onNode('worker-1', ['sysctl -w net.ipv4.ip_forward=0']),
  },
  {
    id: 'masquerade-missing',
    title: 'MASQUERADE for pod egress removed on worker-2',
    seed: '000',
    fault: 'the FLANNEL-POSTRTG MASQUERADE rule for 10.244.0.0/16 was deleted on worker-2',
    expected: [{ category: 'node.masquerade-missing', subject: sub('Node', 'worker-2') }],
    description:
      "Seed 000 (iptables NAT/POSTROUTING): on worker-2 the MASQUERADE rule that rewrites pod traffic leaving the cluster is gone, so egress from worker-2's pods leaves with pod source addresses and no reply comes back; in-cluster traffic still works. External lookups that CoreDNS on worker-2 forwards fail the same way. Expected root cause: node.masquerade-missing on Node worker-2.",
    apply: () => {
      const rule = flannelMasqueradeRule();
      run(nodeByName('worker-2').ns, ['iptables-nft', '-t', 'nat', '-D', ...rule]);
      return [`worker-2$ iptables -t nat -D ${rule.map((a) => (a.includes(' ') ? `"${a}"` : a)).join(' ')}`];
    },
  },
  {
    id: 'flannel-daemonset-deleted',
    title: 'flannel DaemonSet deleted: CNI down, CoreDNS and kube-proxy crash-looping',
    seed: '001',
    fault: 'kubectl delete ds kube-flannel-ds -n kube-flannel, then the nodes restarted without flannel',
    expected: [
      { category: 'cni.daemonset-missing', subject: sub('DaemonSet', 'kube-flannel-ds', 'kube-flannel') },
    ],
    description:
      "Seed 001's cascading failure: the kube-flannel-ds DaemonSet no longer exists, so after the nodes restarted no flannel agent recreated flannel.1, its routes or /run/flannel/subnet.env; all cross-node pod traffic fails, CoreDNS pods crash-loop and kube-proxy crash-loops on the workers. Expected root cause: cni.daemonset-missing (DaemonSet kube-flannel/kube-flannel-ds).",
    noSubnetEnv: NODES.map((n) => n.name),
    corednsDown: true,
    apply: () => NODES.flatMap((n) => onNode(n.name, ['ip link delete flannel.1'])),
    mutate: (c) => {
      const names = podNames();
      c.daemonSets = c.daemonSets.filter((d) => d.metadata.name !== 'kube-flannel-ds');
      c.pods = c.pods.filter((p) => p.metadata.namespace !== 'kube-flannel');
      for (const k of Object.keys(c.logs)) if (k.startsWith('kube-flannel/')) delete c.logs[k];
      for (const d of corednsPods()) {
        const p = findPod(c, d.name);
        crashLoop(p, 9, '2026-10-14T08:11:52Z');
        c.logs[`kube-system/${d.name}/coredns`] = '';
        c.logs[`kube-system/${d.name}/coredns/previous`] = [
          '[WARNING] plugin/kubernetes: starting server with unsynced Kubernetes API',
          '.:53',
          '[INFO] plugin/reload: Running configuration SHA512 = 591cf328cccc12bc490481273e738df59329c62c0b729d94e8b61db9961c2fa5f046dd37f1cf888b953814040d180f52594972691cd6ff41be96639138a43908',
          'CoreDNS-1.11.3',
          'linux/amd64, go1.21.11, a6338e9',
          '[INFO] plugin/kubernetes: pkg/mod/k8s.io/client-go@v0.29.3/tools/cache/reflector.go:229: failed to list *v1.Namespace: Get "https://10.96.0.1:443/api/v1/namespaces?limit=500&resourceVersion=0": dial tcp 10.96.0.1:443: i/o timeout',
          '[ERROR] plugin/kubernetes: pkg/mod/k8s.io/client-go@v0.29.3/tools/cache/reflector.go:229: Failed to watch *v1.Namespace: failed to list *v1.Namespace: Get "https://10.96.0.1:443/api/v1/namespaces?limit=500&resourceVersion=0": dial tcp 10.96.0.1:443: i/o timeout',
          `[ERROR] plugin/errors: 2 www.example.com. A: read udp ${d.ip}:48213->${OUTSIDE_DNS}:53: i/o timeout`,
          '[INFO] plugin/ready: Still waiting on: "kubernetes"',
          '[INFO] SIGTERM: Shutting down servers then terminating',
          '[INFO] plugin/health: Going into lameduck mode for 5s',
          '',
        ].join('\n');
        c.events.push(
          event(
            'kube-system',
            { kind: 'Pod', name: d.name, namespace: 'kube-system' },
            'Unhealthy',
            'Readiness probe failed: HTTP probe failed with statuscode: 503',
            'Warning',
            412,
            '2026-10-14T08:11:40Z',
            'kubelet',
          ),
          event(
            'kube-system',
            { kind: 'Pod', name: d.name, namespace: 'kube-system' },
            'BackOff',
            `Back-off restarting failed container coredns in pod ${d.name}_kube-system(${uid(`pod/kube-system/${d.name}`)})`,
            'Warning',
            57,
            '2026-10-14T08:12:30Z',
            'kubelet',
          ),
        );
      }
      const dep = c.deployments.find((d) => d.metadata.name === 'coredns')!;
      dep.status = { replicas: 2, readyReplicas: 0, availableReplicas: 0, unavailableReplicas: 2 };
      for (const node of ['worker-1', 'worker-2']) {
        const name = names.proxy[node]!;
        crashLoop(findPod(c, name), 7, '2026-10-14T08:10:03Z');
        c.logs[`kube-system/${name}/kube-proxy/previous`] = [
          'I1014 08:09:33.104228       1 server_linux.go:69] "Using iptables proxy"',
          `E1014 08:10:03.109871       1 server.go:1039] "Failed to retrieve node info" err="Get \\"https://192.168.77.10:6443/api/v1/nodes/${node}\\": dial tcp 192.168.77.10:6443: i/o timeout"`,
          `E1014 08:10:03.110214       1 run.go:74] "command failed" err="failed complete: unable to get node IP: Get \\"https://192.168.77.10:6443/api/v1/nodes/${node}\\": dial tcp 192.168.77.10:6443: i/o timeout"`,
          '',
        ].join('\n');
        c.logs[`kube-system/${name}/kube-proxy`] = '';
        c.events.push(
          event(
            'kube-system',
            { kind: 'Pod', name, namespace: 'kube-system' },
            'BackOff',
            `Back-off restarting failed container kube-proxy in pod ${name}_kube-system(${uid(`pod/kube-system/${name}`)})`,
            'Warning',
            41,
            '2026-10-14T08:12:10Z',
            'kubelet',
          ),
        );
      }
      const kp = c.daemonSets.find((d) => d.metadata.name === 'kube-proxy')!;
      kp.status = {
        desiredNumberScheduled: 3,
        currentNumberScheduled: 3,
        numberReady: 1,
        numberAvailable: 1,
        numberUnavailable: 2,
      };
    },
  },
  {
    id: 'mtu-mismatch',
    title: 'flannel.1 at MTU 1500 on a 1500-byte underlay (worker-1)',
    seed: '000',
    fault:
      'flannel.1, cni0 and the pod interfaces on worker-1 use MTU 1500, leaving no room for the 50-byte VXLAN header',
    expected: [{ category: 'overlay.mtu-mismatch', subject: sub('Node', 'worker-1') }],
    description:
      "Seed 000 (MTU follow-up: flannel.1 should show MTU 1450): on worker-1 flannel.1 was recreated by hand without its underlay device and, with cni0 and the pods, runs at MTU 1500 over a 1500-byte underlay. Small packets pass; a full-size don't-fragment packet from a worker-1 pod cannot be carried by the overlay. Expected root cause: overlay.mtu-mismatch on Node worker-1.",
    mtu: { 'worker-1': 1500 },
    apply: (macs) => {
      // With eth0 as its lower device the kernel caps flannel.1 at 1450; the VTEP recreated by
      // hand without `dev` (same MAC, so peers' FDB still match) accepts 1500.
      const w1 = nodeByName('worker-1');
      const pods = NET_PODS.filter((x) => x.node === 'worker-1');
      for (const p of pods) sh(p.ns, 'ip link set eth0 mtu 1500');
      const cmds = [
        'ip link delete flannel.1',
        `ip link add flannel.1 address ${macs['worker-1']} type vxlan id 1 local ${w1.ip} dstport 8472 nolearning`,
        `ip addr add ${w1.vtepIP}/32 dev flannel.1`,
        'ip link set flannel.1 mtu 1500',
        'ip link set flannel.1 up',
      ];
      for (const p of NODES) {
        if (p.name === w1.name) continue;
        cmds.push(
          `ip neigh replace ${p.vtepIP} lladdr ${macs[p.name]} dev flannel.1 nud permanent`,
          `bridge fdb append ${macs[p.name]} dev flannel.1 dst ${p.ip}`,
          `ip route replace ${p.podCIDR} via ${p.vtepIP} dev flannel.1 onlink`,
        );
      }
      cmds.push(...pods.map((p) => `ip link set ${p.hostVeth} mtu 1500`), 'ip link set cni0 mtu 1500');
      return onNode('worker-1', cmds);
    },
  },
  {
    id: 'service-selector-typo',
    title: 'Service selector typo: shop/storefront selects no pods',
    seed: '004',
    fault: 'Service shop/storefront selects app=storefrnt; its pods are labelled app=storefront',
    expected: [{ category: 'service.no-endpoints', subject: sub('Service', 'storefront', 'shop') }],
    description:
      'Seed 004 (Service returns 502/503: pods not matching the service selector): the storefront Service selects app=storefrnt, so its EndpointSlice is empty and kube-proxy rejects connections to its ClusterIP and NodePort, while the pod itself answers on its own IP. Expected root cause: service.no-endpoints on Service shop/storefront.',
    storefrontSelector: { app: 'storefrnt' },
  },
  {
    id: 'dns-egress-blocked',
    title: 'Default-deny egress in namespace shop without a DNS allowance',
    seed: '003',
    fault:
      'NetworkPolicy shop/default-deny-egress denies all egress; shop/allow-external-http allows only TCP 80 to 203.0.113.0/24, not DNS',
    expected: [
      { category: 'policy.dns-egress-blocked', subject: sub('NetworkPolicy', 'default-deny-egress', 'shop') },
    ],
    // The policies block DNS only together; naming the namespace they isolate is as right.
    alternatives: [{ category: 'policy.dns-egress-blocked', subject: sub('Namespace', 'shop') }],
    description:
      "Seed 003 (DNS egress policies): namespace shop has a default-deny egress policy and an allowance for external HTTP only, with no rule for port 53 to CoreDNS. The storefront pod's DNS queries are rejected by the network-policy firewall (kube-router) while its external HTTP works. Expected root cause: policy.dns-egress-blocked (NetworkPolicy shop/default-deny-egress).",
    policies: [
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: {
          name: 'default-deny-egress',
          namespace: 'shop',
          uid: uid('netpol/shop/default-deny-egress'),
          creationTimestamp: '2026-10-14T07:55:02Z',
        },
        spec: { podSelector: {}, policyTypes: ['Egress'] },
      } as K8sNetworkPolicy,
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: {
          name: 'allow-external-http',
          namespace: 'shop',
          uid: uid('netpol/shop/allow-external-http'),
          creationTimestamp: '2026-10-14T07:55:02Z',
        },
        spec: {
          podSelector: { matchLabels: { app: 'storefront' } },
          policyTypes: ['Egress'],
          egress: [{ to: [{ ipBlock: { cidr: '203.0.113.0/24' } }], ports: [{ protocol: 'TCP', port: 80 }] }],
        },
      } as K8sNetworkPolicy,
    ],
    enforce: [
      {
        pod: { name: appPod().name, namespace: 'shop', ip: appPod().ip },
        policies: [
          { namespace: 'shop', name: 'default-deny-egress', egress: [] },
          {
            namespace: 'shop',
            name: 'allow-external-http',
            egress: [{ cidr: '203.0.113.0/24', proto: 'tcp', port: 80 }],
          },
        ],
      },
    ],
  },
];
