/**
 * Builds a three-node flannel (VXLAN) datapath out of network namespaces on this machine and
 * saves what the real commands print on each node, as the parser and tracer fixtures under
 * test/fixtures/datapath/. Nothing leaves the namespaces it creates: the "underlay" is a
 * bridge inside one of them, and the only traffic is a ping between two pod namespaces.
 *
 *   node scripts/capture-datapath-fixtures.ts            (as root)
 *
 * Output (each node directory holds the NODE_FILES of collect/bundle/layout.ts):
 *   flannel-3node/worker-{1,2,3}/          healthy nodes, kube-proxy and flannel rules via iptables-nft
 *   flannel-3node/topology.json            what was built (pods, CIDRs, VTEP MACs, underlay IPs)
 *   flannel-3node-routes-flushed/worker-2/ worker-2 after `ip route flush dev flannel.1` (seed 004)
 *   flannel-3node-fdb-missing/worker-1/    worker-1 without the FDB entry for worker-3's VTEP
 *   flannel-legacy/worker-1/               worker-1's rules written with iptables-legacy instead
 *   malformed/                             real files cut short (truncated dumps)
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NODE_CNI_DIR, NODE_FILES } from '../src/collect/bundle/layout.ts';
import { createNetns, destroyNetns, nsExec, run, uniqueNetnsName } from '../test/support/netns.ts';

const OUT = join(dirname(fileURLToPath(import.meta.url)), '..', 'test', 'fixtures', 'datapath');

const CLUSTER_CIDR = '10.244.0.0/16';
const UNDERLAY_GW = '192.168.77.1';
const FLANNEL_MTU = 1450;

interface PodSpec {
  namespace: string;
  name: string;
  ip: string;
  labels: Record<string, string>;
}
interface NodeSpec {
  name: string;
  index: number;
  underlayIp: string;
  podCidr: string;
  bridgeIp: string;
  vtepMac: string;
  pods: PodSpec[];
}

const NODES: NodeSpec[] = [1, 2, 3].map((i) => ({
  name: `worker-${i}`,
  index: i,
  underlayIp: `192.168.77.1${i}`,
  podCidr: `10.244.${i}.0/24`,
  bridgeIp: `10.244.${i}.1`,
  vtepMac: `a6:4e:77:00:00:0${i}`,
  pods: [],
}));
const POD_NAMES: Record<string, [PodSpec['namespace'], string, Record<string, string>][]> = {
  'worker-1': [
    ['default', 'client-a', { app: 'client' }],
    ['default', 'client-b', { app: 'client' }],
  ],
  'worker-2': [
    ['kube-system', 'coredns-a', { 'k8s-app': 'kube-dns' }],
    ['default', 'web-1', { app: 'web' }],
  ],
  'worker-3': [
    ['kube-system', 'coredns-b', { 'k8s-app': 'kube-dns' }],
    ['default', 'web-2', { app: 'web' }],
  ],
};
for (const n of NODES) {
  n.pods = (POD_NAMES[n.name] ?? []).map(([namespace, name, labels], k) => ({
    namespace,
    name,
    labels,
    ip: `10.244.${n.index}.${k + 2}`,
  }));
}

/** Services as kube-proxy would program them; `web-typo` selects nothing (seed 004's typo). */
const SERVICES = [
  {
    namespace: 'kube-system',
    name: 'kube-dns',
    clusterIP: '10.96.0.10',
    selector: { 'k8s-app': 'kube-dns' },
    ports: [
      { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53, svcChain: 'KUBE-SVC-TCOU7JCQXEZGVUNU' },
      { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53, svcChain: 'KUBE-SVC-ERIFXISQEP7F7OF4' },
    ],
  },
  {
    namespace: 'default',
    name: 'web',
    clusterIP: '10.96.120.15',
    selector: { app: 'web' },
    ports: [
      { name: 'http', port: 80, protocol: 'TCP', targetPort: 8080, svcChain: 'KUBE-SVC-LOLE4ISW44XBNF3G' },
    ],
  },
  {
    namespace: 'default',
    name: 'web-typo',
    clusterIP: '10.96.120.16',
    selector: { app: 'wbe' },
    ports: [
      { name: 'http', port: 80, protocol: 'TCP', targetPort: 8080, svcChain: 'KUBE-SVC-7Q3ZQXFO2KZNW6TS' },
    ],
  },
] as const;

function endpointsOf(selector: Record<string, string>): PodSpec[] {
  return NODES.flatMap((n) => n.pods).filter((p) =>
    Object.entries(selector).every(([k, v]) => p.labels[k] === v),
  );
}

/** A stable KUBE-SEP-style chain name (kube-proxy hashes; any 16 upper-case chars do). */
function sepChain(svc: string, port: string, ip: string): string {
  let h = 2166136261;
  for (const ch of `${svc}:${port}:${ip}`) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let s = '';
  for (let i = 0; i < 16; i++) {
    s += alphabet[(h >>> (i % 27)) & 31];
    h = Math.imul(h ^ i, 2654435761) >>> 0;
  }
  return `KUBE-SEP-${s}`;
}

/** The kube-proxy (iptables mode) and flannel rules, as `iptables-restore` input. */
function iptablesRules(node: NodeSpec): string {
  const nat: string[] = [
    '*nat',
    ':KUBE-SERVICES - [0:0]',
    ':KUBE-POSTROUTING - [0:0]',
    ':KUBE-MARK-MASQ - [0:0]',
    ':KUBE-NODEPORTS - [0:0]',
    ':FLANNEL-POSTRTG - [0:0]',
  ];
  const natRules: string[] = [
    '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
    '-A POSTROUTING -m comment --comment "flanneld masq" -j FLANNEL-POSTRTG',
    '-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000',
    '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
    '-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0',
    '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
    `-A FLANNEL-POSTRTG -m mark --mark 0x4000/0x4000 -m comment --comment "flanneld masq" -j RETURN`,
    `-A FLANNEL-POSTRTG -s ${node.podCidr} -d ${CLUSTER_CIDR} -m comment --comment "flanneld masq" -j RETURN`,
    `-A FLANNEL-POSTRTG -s ${CLUSTER_CIDR} -d ${node.podCidr} -m comment --comment "flanneld masq" -j RETURN`,
    `-A FLANNEL-POSTRTG ! -s ${CLUSTER_CIDR} -d ${node.podCidr} -m comment --comment "flanneld masq" -j RETURN`,
    `-A FLANNEL-POSTRTG -s ${CLUSTER_CIDR} ! -d 224.0.0.0/4 -m comment --comment "flanneld masq" -j MASQUERADE --random-fully`,
    `-A FLANNEL-POSTRTG ! -s ${CLUSTER_CIDR} -d ${CLUSTER_CIDR} -m comment --comment "flanneld masq" -j MASQUERADE --random-fully`,
  ];
  const filter: string[] = [
    '*filter',
    ':KUBE-FORWARD - [0:0]',
    ':KUBE-SERVICES - [0:0]',
    ':KUBE-FIREWALL - [0:0]',
    ':FLANNEL-FWD - [0:0]',
  ];
  const filterRules: string[] = [
    '-A INPUT -j KUBE-FIREWALL',
    '-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD',
    '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A FORWARD -m comment --comment "flanneld forward" -j FLANNEL-FWD',
    '-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP',
    '-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP',
    '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT',
    '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    `-A FLANNEL-FWD -s ${CLUSTER_CIDR} -m comment --comment "flanneld forward" -j ACCEPT`,
    `-A FLANNEL-FWD -d ${CLUSTER_CIDR} -m comment --comment "flanneld forward" -j ACCEPT`,
  ];
  for (const svc of SERVICES) {
    for (const port of svc.ports) {
      const proto = port.protocol.toLowerCase();
      const id = `${svc.namespace}/${svc.name}:${port.name}`;
      const eps = endpointsOf(svc.selector);
      if (eps.length === 0) {
        // kube-proxy writes no nat chain for a Service without endpoints, only a REJECT in filter.
        filterRules.push(
          `-A KUBE-SERVICES -d ${svc.clusterIP}/32 -p ${proto} -m comment --comment "${id} has no endpoints" -m ${proto} --dport ${port.port} -j REJECT --reject-with icmp-port-unreachable`,
        );
        continue;
      }
      nat.push(`:${port.svcChain} - [0:0]`);
      natRules.push(
        `-A KUBE-SERVICES -d ${svc.clusterIP}/32 -p ${proto} -m comment --comment "${id} cluster IP" -m ${proto} --dport ${port.port} -j ${port.svcChain}`,
        `-A ${port.svcChain} ! -s ${CLUSTER_CIDR} -d ${svc.clusterIP}/32 -p ${proto} -m comment --comment "${id} cluster IP" -m ${proto} --dport ${port.port} -j KUBE-MARK-MASQ`,
      );
      eps.forEach((ep, k) => {
        const sep = sepChain(svc.name, port.name, ep.ip);
        nat.push(`:${sep} - [0:0]`);
        const left = eps.length - k;
        const stat = left > 1 ? ` -m statistic --mode random --probability ${(1 / left).toFixed(11)}` : '';
        natRules.push(
          `-A ${port.svcChain} -m comment --comment "${id} -> ${ep.ip}:${port.targetPort}"${stat} -j ${sep}`,
          `-A ${sep} -s ${ep.ip}/32 -m comment --comment "${id}" -j KUBE-MARK-MASQ`,
          `-A ${sep} -p ${proto} -m comment --comment "${id}" -m ${proto} -j DNAT --to-destination ${ep.ip}:${port.targetPort}`,
        );
      });
    }
  }
  natRules.push(
    '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS',
  );
  return [...nat, ...natRules, 'COMMIT', ...filter, ...filterRules, 'COMMIT', ''].join('\n');
}

const FLANNEL_CONFLIST = `{
  "name": "cbr0",
  "cniVersion": "0.3.1",
  "plugins": [
    {
      "type": "flannel",
      "delegate": {
        "hairpinMode": true,
        "isDefaultGateway": true
      }
    },
    {
      "type": "portmap",
      "capabilities": {
        "portMappings": true
      }
    }
  ]
}
`;

const COREFILE = `.:53 {
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

const NFT_GUARD = `table inet ndt-guard {
  chain forward {
    type filter hook forward priority filter + 10; policy accept;
    ip saddr 203.0.113.0/24 udp dport 8472 counter drop comment "overlay traffic from outside the cluster"
    ct state established,related accept
    iifname "eth0" oifname "cni0" meta l4proto { tcp, udp } th dport 30000-32767 accept
  }
  chain postrouting {
    type nat hook postrouting priority srcnat + 10; policy accept;
    ip saddr 10.244.0.0/16 ip daddr != 10.244.0.0/16 oifname "eth0" masquerade
  }
}
`;

const SYSCTL_KEYS = [
  'net.ipv4.ip_forward',
  'net.ipv4.conf.all.forwarding',
  'net.ipv6.conf.all.forwarding',
  'net.ipv4.conf.all.rp_filter',
  'net.ipv4.conf.default.rp_filter',
  'net.bridge.bridge-nf-call-iptables',
  'net.bridge.bridge-nf-call-ip6tables',
  'net.netfilter.nf_conntrack_max',
];

interface Built {
  underlay: string;
  nodeNs: Map<string, string>;
  podNs: string[];
}

function ip(ns: string, ...args: string[]): string {
  return run(['ip', '-n', ns, ...args]);
}

/** One flannel node: underlay eth0, cni0 with two pods, flannel.1 with routes/neigh/FDB to peers. */
function buildNode(node: NodeSpec, underlay: string, backend: 'nft' | 'legacy', built: Built): string {
  const ns = createNetns(uniqueNetnsName(`w${node.index}`));
  built.nodeNs.set(node.name, ns);
  // Underlay: eth0 in the node, its peer enslaved to the underlay bridge.
  ip(
    ns,
    'link',
    'add',
    'eth0',
    'mtu',
    '1500',
    'type',
    'veth',
    'peer',
    'name',
    `ul-w${node.index}`,
    'netns',
    underlay,
  );
  ip(underlay, 'link', 'set', `ul-w${node.index}`, 'master', 'br0', 'up');
  ip(ns, 'addr', 'add', `${node.underlayIp}/24`, 'dev', 'eth0');
  ip(ns, 'link', 'set', 'eth0', 'up');
  ip(ns, 'route', 'add', 'default', 'via', UNDERLAY_GW, 'dev', 'eth0');
  nsExec(ns, ['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);

  // cni0 and the pods, as the bridge CNI plugin sets them up.
  ip(ns, 'link', 'add', 'cni0', 'mtu', String(FLANNEL_MTU), 'type', 'bridge');
  ip(ns, 'addr', 'add', `${node.bridgeIp}/24`, 'dev', 'cni0');
  ip(ns, 'link', 'set', 'cni0', 'up');
  node.pods.forEach((pod, k) => {
    const podNs = createNetns(uniqueNetnsName(`p${node.index}${k}`));
    built.podNs.push(podNs);
    const hostVeth = `veth${node.index}${k}${pod.name.slice(0, 6)}`.slice(0, 15);
    ip(
      ns,
      'link',
      'add',
      hostVeth,
      'mtu',
      String(FLANNEL_MTU),
      'type',
      'veth',
      'peer',
      'name',
      'eth0',
      'netns',
      podNs,
    );
    ip(ns, 'link', 'set', hostVeth, 'master', 'cni0', 'up');
    ip(podNs, 'addr', 'add', `${pod.ip}/24`, 'dev', 'eth0');
    ip(podNs, 'link', 'set', 'eth0', 'up');
    ip(podNs, 'route', 'add', CLUSTER_CIDR, 'via', node.bridgeIp, 'dev', 'eth0');
    ip(podNs, 'route', 'add', 'default', 'via', node.bridgeIp, 'dev', 'eth0');
  });

  // flannel.1 and the per-peer state flanneld writes: route, permanent neighbour, FDB entry.
  ip(
    ns,
    'link',
    'add',
    'flannel.1',
    'address',
    node.vtepMac,
    'mtu',
    String(FLANNEL_MTU),
    'type',
    'vxlan',
    'id',
    '1',
    'local',
    node.underlayIp,
    'dev',
    'eth0',
    'dstport',
    '8472',
    'nolearning',
  );
  ip(ns, 'addr', 'add', `10.244.${node.index}.0/32`, 'dev', 'flannel.1');
  ip(ns, 'link', 'set', 'flannel.1', 'up');
  for (const peer of NODES) {
    if (peer === node) continue;
    const gw = `10.244.${peer.index}.0`;
    ip(ns, 'route', 'add', peer.podCidr, 'via', gw, 'dev', 'flannel.1', 'onlink');
    ip(ns, 'neigh', 'replace', gw, 'lladdr', peer.vtepMac, 'dev', 'flannel.1', 'nud', 'permanent');
    run(['bridge', '-n', ns, 'fdb', 'append', peer.vtepMac, 'dev', 'flannel.1', 'dst', peer.underlayIp]);
  }

  const restore = backend === 'nft' ? 'iptables-nft-restore' : 'iptables-legacy-restore';
  nsExec(ns, [restore], iptablesRules(node));
  // A native nftables table beside the iptables-nft ones, so nft-ruleset.json also holds base
  // chains with hooks and policies, sets, ranges, comments and NAT statements.
  nsExec(ns, ['nft', '-f', '-'], NFT_GUARD);
  return ns;
}

function buildCluster(backend: 'nft' | 'legacy'): Built {
  const built: Built = { underlay: '', nodeNs: new Map(), podNs: [] };
  built.underlay = createNetns(uniqueNetnsName('ul'));
  ip(built.underlay, 'link', 'add', 'br0', 'type', 'bridge');
  ip(built.underlay, 'addr', 'add', `${UNDERLAY_GW}/24`, 'dev', 'br0');
  ip(built.underlay, 'link', 'set', 'br0', 'up');
  for (const node of NODES) buildNode(node, built.underlay, backend, built);
  return built;
}

function destroyCluster(built: Built): void {
  for (const ns of built.podNs) destroyNetns(ns);
  for (const ns of built.nodeNs.values()) destroyNetns(ns);
  if (built.underlay) destroyNetns(built.underlay);
}

const UDP_ECHO_PORT = 5353;

/** Starts a UDP echo server (node) in `ns` for a few seconds, in the background. */
function startUdpEcho(ns: string): void {
  const code = `const s=require('dgram').createSocket('udp4');s.on('message',(m,r)=>s.send(m,r.port,r.address));s.bind(${UDP_ECHO_PORT});setTimeout(()=>process.exit(0),8000)`;
  nsExec(ns, ['sh', '-c', `timeout 10 '${process.execPath}' -e "${code}" >/dev/null 2>&1 &`]);
}

/** Sends one datagram from `ns` to `ip` and throws unless the echo comes back within 2 s. */
function udpRoundTrip(ns: string, ip: string): void {
  const code = `const s=require('dgram').createSocket('udp4');s.on('message',()=>process.exit(0));s.send('ndt',${UDP_ECHO_PORT},'${ip}');setTimeout(()=>process.exit(1),2000)`;
  nsExec(ns, [process.execPath, '-e', code]);
}

/** Counts VXLAN packets per peer on eth0 while `traffic` runs (the vxlan-capture.json shape). */
function captureVxlan(ns: string, node: NodeSpec, traffic: () => void): string {
  const seconds = 2;
  const pcap = join('/tmp', `${uniqueNetnsName('pcap')}.txt`);
  // tcpdump runs in the background for a fixed time; -l keeps its output line-buffered.
  const bg = `timeout ${seconds} tcpdump -l -nn -i eth0 udp port 8472 > ${pcap} 2>/dev/null &`;
  nsExec(ns, ['sh', '-c', bg]);
  run(['sleep', '0.5']);
  traffic();
  run(['sleep', String(seconds)]);
  const lines = readFileSync(pcap, 'utf8').split('\n');
  rmSync(pcap, { force: true });
  const packetsByPeer: Record<string, number> = {};
  let total = 0;
  for (const line of lines) {
    // tcpdump also prints the decapsulated inner packet; only the outer one uses port 8472.
    const m = /IP (\d+\.\d+\.\d+\.\d+)\.(\d+) > (\d+\.\d+\.\d+\.\d+)\.(\d+): /.exec(line);
    if (!m || (m[2] !== '8472' && m[4] !== '8472')) continue;
    const peer = m[1] === node.underlayIp ? m[3] : m[1];
    if (peer === undefined) continue;
    packetsByPeer[peer] = (packetsByPeer[peer] ?? 0) + 1;
    total++;
  }
  return `${JSON.stringify({ iface: 'eth0', port: 8472, seconds, packetsByPeer, total }, null, 2)}\n`;
}

/** Saves every NODE_FILES file for one node, from the real commands run inside its namespace. */
function saveNode(dir: string, ns: string, node: NodeSpec, vxlanCapture?: string): void {
  mkdirSync(join(dir, NODE_CNI_DIR), { recursive: true });
  const put = (key: keyof typeof NODE_FILES, text: string): void =>
    writeFileSync(join(dir, NODE_FILES[key]), text);
  put('links', nsExec(ns, ['ip', '-d', '-j', 'addr', 'show']));
  put('routes', nsExec(ns, ['ip', '-j', 'route', 'show', 'table', 'all']));
  put('ipRules', nsExec(ns, ['ip', '-j', 'rule', 'show']));
  put('neighbors', nsExec(ns, ['ip', '-j', 'neigh', 'show']));
  put('fdb', nsExec(ns, ['bridge', '-j', 'fdb', 'show']));
  put('iptablesLegacy', nsExec(ns, ['iptables-legacy-save']));
  put('iptablesNft', nsExec(ns, ['iptables-nft-save']));
  put('nftRuleset', nsExec(ns, ['nft', '-j', 'list', 'ruleset']));
  put('sysctls', nsExec(ns, ['sysctl', '-e', ...SYSCTL_KEYS]));
  try {
    put('modules', readFileSync('/proc/modules', 'utf8'));
  } catch {
    // Kernels without loadable modules have no /proc/modules; the collector records a gap.
  }
  put('resolvConf', readFileSync('/etc/resolv.conf', 'utf8'));
  // Written as flanneld writes /run/flannel/subnet.env and the DaemonSet's init container
  // installs /etc/cni/net.d/10-flannel.conflist.
  put(
    'flannelSubnetEnv',
    `FLANNEL_NETWORK=${CLUSTER_CIDR}\nFLANNEL_SUBNET=${node.bridgeIp}/24\nFLANNEL_MTU=${FLANNEL_MTU}\nFLANNEL_IPMASQ=true\n`,
  );
  writeFileSync(join(dir, NODE_CNI_DIR, '10-flannel.conflist'), FLANNEL_CONFLIST);
  if (vxlanCapture) put('vxlanCapture', vxlanCapture);
}

function nodeByName(name: string): NodeSpec {
  const n = NODES.find((x) => x.name === name);
  if (!n) throw new Error(`no node ${name}`);
  return n;
}

function podNsOf(built: Built, node: NodeSpec, k: number): string {
  const idx = NODES.indexOf(node) * 2 + k;
  const ns = built.podNs[idx];
  if (!ns) throw new Error(`no pod namespace ${node.name}/${k}`);
  return ns;
}

function captureHealthyAndVariants(): void {
  const built = buildCluster('nft');
  try {
    const w1 = nodeByName('worker-1');
    const w2 = nodeByName('worker-2');
    const w1ns = built.nodeNs.get('worker-1')!;
    const w2ns = built.nodeNs.get('worker-2')!;
    const clientA = podNsOf(built, w1, 0);
    // Prove the datapath works: pod on worker-1 pings pods on worker-2 and worker-3 over VXLAN.
    const peers = NODES.filter((n) => n !== w1);
    const targets = peers.map((n) => n.pods[0]!.ip);
    for (const n of peers) startUdpEcho(podNsOf(built, n, 0));
    startUdpEcho(podNsOf(built, w1, 1));
    run(['sleep', '0.5']);
    const vxlan = captureVxlan(w1ns, w1, () => {
      for (const t of targets) udpRoundTrip(clientA, t);
    });
    udpRoundTrip(clientA, w1.pods[1]!.ip);

    const root = join(OUT, 'flannel-3node');
    for (const node of NODES) {
      saveNode(join(root, node.name), built.nodeNs.get(node.name)!, node, node === w1 ? vxlan : undefined);
    }
    const topology = {
      clusterCidr: CLUSTER_CIDR,
      serviceCidr: '10.96.0.0/12',
      vni: 1,
      verified: `UDP echo from ${w1.pods[0]!.name} (${w1.pods[0]!.ip}) to ${targets.join(', ')} over flannel.1 and to ${w1.pods[1]!.ip} over cni0 succeeded`,
      nodes: NODES.map((n) => ({
        name: n.name,
        internalIP: n.underlayIp,
        podCIDR: n.podCidr,
        vtepMac: n.vtepMac,
        pods: n.pods,
      })),
      services: SERVICES.map((s) => ({
        namespace: s.namespace,
        name: s.name,
        clusterIP: s.clusterIP,
        selector: s.selector,
        ports: s.ports.map(({ name, port, protocol, targetPort }) => ({ name, port, protocol, targetPort })),
      })),
      corefile: COREFILE,
    };
    writeFileSync(join(root, 'topology.json'), `${JSON.stringify(topology, null, 2)}\n`);
    writeFileSync(join(root, 'Corefile'), COREFILE);

    // Seed 004: worker-2's agent stalled, its routes to the peers are gone.
    ip(w2ns, 'route', 'flush', 'dev', 'flannel.1');
    saveNode(join(OUT, 'flannel-3node-routes-flushed', 'worker-2'), w2ns, w2);

    // worker-1 loses the FDB entry for worker-3's VTEP.
    const w3 = nodeByName('worker-3');
    run(['bridge', '-n', w1ns, 'fdb', 'del', w3.vtepMac, 'dev', 'flannel.1', 'dst', w3.underlayIp]);
    saveNode(join(OUT, 'flannel-3node-fdb-missing', 'worker-1'), w1ns, w1);
  } finally {
    destroyCluster(built);
  }
}

function captureLegacy(): void {
  const built = buildCluster('legacy');
  try {
    const w1 = nodeByName('worker-1');
    saveNode(join(OUT, 'flannel-legacy', 'worker-1'), built.nodeNs.get('worker-1')!, w1);
  } finally {
    destroyCluster(built);
  }
}

/** Real files cut short, as a collector killed mid-write would leave them. */
function writeMalformed(): void {
  const src = join(OUT, 'flannel-3node', 'worker-1');
  const dst = join(OUT, 'malformed');
  mkdirSync(dst, { recursive: true });
  const cut = (file: string, at: (t: string) => number): void => {
    const text = readFileSync(join(src, file), 'utf8');
    writeFileSync(join(dst, file), text.slice(0, at(text)));
  };
  cut(NODE_FILES.links, (t) => Math.floor(t.length / 2));
  cut(NODE_FILES.routes, (t) => Math.floor(t.length / 2));
  cut(NODE_FILES.neighbors, (t) => Math.floor(t.length / 2));
  cut(NODE_FILES.fdb, (t) => Math.floor(t.length / 2));
  cut(NODE_FILES.nftRuleset, (t) => Math.floor(t.length / 2));
  // Stops just before the last table's COMMIT.
  cut(NODE_FILES.iptablesNft, (t) => t.lastIndexOf('\nCOMMIT') + 1);
}

function main(): void {
  if (process.getuid?.() !== 0)
    throw new Error('capture-datapath-fixtures must run as root (it creates namespaces)');
  for (const d of [
    'flannel-3node',
    'flannel-3node-routes-flushed',
    'flannel-3node-fdb-missing',
    'flannel-legacy',
    'malformed',
  ]) {
    rmSync(join(OUT, d), { recursive: true, force: true });
  }
  captureHealthyAndVariants();
  captureLegacy();
  writeMalformed();
  process.stdout.write(`fixtures written under ${OUT}\n`);
}

main();
