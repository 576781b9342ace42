/**
 * Consistent NodeDatapath objects for a flannel (VXLAN) cluster, shaped as the datapath parsers
 * produce them from `ip -d -j addr`, `ip -j route show table all`, `ip -j neigh`, `bridge -j fdb`,
 * `iptables-nft-save`, sysctl, /proc/modules, /etc/cni/net.d and /run/flannel/subnet.env, plus
 * fault mutators for the catalog's datapath faults. Mutators change the record in place.
 */
import type {
  CniConfigFile,
  FdbEntry,
  IptablesDump,
  IptablesRule,
  IptablesTable,
  Link,
  Neighbor,
  NodeDatapath,
  Route,
} from '../../src/core/datapath-types.ts';

/** One node of the cluster as the builder needs it. */
export interface FlannelNodeSpec {
  name: string;
  /** e.g. `10.244.1.0/24`. */
  podCIDR: string;
  /** Underlay address, e.g. `192.168.1.11` (its /24 is the underlay subnet, `.1` the gateway). */
  internalIP: string;
  /** flannel.1's MAC, as in the node's `flannel.alpha.coreos.com/backend-data` annotation. */
  vtepMac: string;
}

/** A ClusterIP Service as kube-proxy programs it. */
export interface ServiceSpec {
  namespace: string;
  name: string;
  clusterIP: string;
  ports: { name?: string; port: number; protocol: 'TCP' | 'UDP'; targetPort?: number }[];
  /** Ready endpoint IPs. */
  endpoints: string[];
}

export interface FlannelDatapathOptions {
  /** Cluster network (flannel `Network`); default `10.244.0.0/16`. */
  clusterCIDR?: string;
  /** flannel.1 / pod MTU; default 1450. */
  mtu?: number;
  /** Underlay (eth0) MTU; default 1500. */
  underlayMtu?: number;
  /** Services kube-proxy programs; default `default/kubernetes` and `kube-system/kube-dns`. */
  services?: ServiceSpec[];
  /** Pods per node (veths on cni0); default 2. */
  podsPerNode?: number;
  /**
   * The `vxlanCapture`: this many packets to/from each peer; default 12, traffic that flowed,
   * since a live diagnosis always captures. `null` leaves the capture out (not collected).
   */
  vxlanPackets?: number | null;
}

/** Packets per peer in a healthy node's overlay capture. */
const DEFAULT_VXLAN_PACKETS = 12;

/** The content kube-flannel.yml installs as /etc/cni/net.d/10-flannel.conflist. */
export const FLANNEL_CONFLIST = `{
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

const TOKEN = /"(?:[^"\\]|\\.)*"|\S+/g;

/** Parses one `-A CHAIN ...` line of iptables-save into the parser's rule shape. */
export function iptablesRule(line: string): IptablesRule {
  const m = /^-A (\S+) ?(.*)$/.exec(line);
  if (!m) throw new Error(`not an iptables-save rule: ${line}`);
  const chain = m[1]!;
  const spec = m[2] ?? '';
  const rule: IptablesRule = { chain, spec, negations: [] };
  const toks = spec.match(TOKEN) ?? [];
  let neg = false;
  const set = (
    field: 'proto' | 'source' | 'destination' | 'inIface' | 'outIface' | 'dport',
    flag: string,
    v?: string,
  ) => {
    if (v === undefined) return;
    rule[field] = v;
    if (neg) rule.negations.push(flag);
  };
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i]!;
    const next = toks[i + 1];
    if (t === '!') {
      neg = true;
      continue;
    }
    let took = true;
    switch (t) {
      case '-p':
        set('proto', '-p', next);
        break;
      case '-s':
        set('source', '-s', next);
        break;
      case '-d':
        set('destination', '-d', next);
        break;
      case '-i':
        set('inIface', '-i', next);
        break;
      case '-o':
        set('outIface', '-o', next);
        break;
      case '--dport':
      case '--dports':
        set('dport', t, next);
        break;
      case '--mark':
        if (neg) rule.negations.push(t);
        break;
      case '--comment':
        if (next !== undefined) rule.comment = next.replace(/^"|"$/g, '');
        break;
      case '-j':
      case '-g':
        if (next !== undefined) rule.target = next;
        break;
      default:
        took = false;
    }
    if (took) i++;
    neg = false;
  }
  return rule;
}

function table(name: string, chains: Record<string, string>, lines: string[]): IptablesTable {
  return { name, chains: { ...chains }, rules: lines.map(iptablesRule) };
}

function svcHash(s: string): string {
  let h = 2166136261;
  for (const ch of s) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let out = '';
  for (let i = 0; i < 16; i++) {
    out += alphabet[(h >>> (i % 27)) & 31];
    h = Math.imul(h ^ (i + 1), 2654435761) >>> 0;
  }
  return out;
}

function octets(ip: string): number[] {
  return ip.split('.').map(Number);
}
function netOf(cidr: string): string {
  return cidr.split('/')[0]!;
}
function withLast(ip: string, last: number): string {
  const o = octets(ip);
  return `${o[0]}.${o[1]}.${o[2]}.${last}`;
}
function mac(prefix: string, i: number, j: number): string {
  const h = (n: number) => n.toString(16).padStart(2, '0');
  return `${prefix}:${h(i & 255)}:${h(j & 255)}`;
}

/** The default Services every kubeadm cluster has. */
export function defaultServices(apiServerIP: string, dnsEndpoints: string[]): ServiceSpec[] {
  return [
    {
      namespace: 'default',
      name: 'kubernetes',
      clusterIP: '10.96.0.1',
      ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }],
      endpoints: [apiServerIP],
    },
    {
      namespace: 'kube-system',
      name: 'kube-dns',
      clusterIP: '10.96.0.10',
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP' },
        { name: 'dns-tcp', port: 53, protocol: 'TCP' },
      ],
      endpoints: dnsEndpoints,
    },
  ];
}

function natTable(self: FlannelNodeSpec, clusterCIDR: string, services: ServiceSpec[]): IptablesTable {
  const chains: Record<string, string> = {
    PREROUTING: 'ACCEPT',
    INPUT: 'ACCEPT',
    OUTPUT: 'ACCEPT',
    POSTROUTING: 'ACCEPT',
    'FLANNEL-POSTRTG': '-',
    'KUBE-KUBELET-CANARY': '-',
    'KUBE-MARK-MASQ': '-',
    'KUBE-NODEPORTS': '-',
    'KUBE-POSTROUTING': '-',
    'KUBE-PROXY-CANARY': '-',
    'KUBE-SERVICES': '-',
  };
  const c = `--comment "flanneld masq"`;
  const lines = [
    '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
    `-A POSTROUTING -m comment ${c} -j FLANNEL-POSTRTG`,
    `-A FLANNEL-POSTRTG -m mark --mark 0x4000/0x4000 -m comment ${c} -j RETURN`,
    `-A FLANNEL-POSTRTG -s ${self.podCIDR} -d ${clusterCIDR} -m comment ${c} -j RETURN`,
    `-A FLANNEL-POSTRTG -s ${clusterCIDR} -d ${self.podCIDR} -m comment ${c} -j RETURN`,
    `-A FLANNEL-POSTRTG ! -s ${clusterCIDR} -d ${self.podCIDR} -m comment ${c} -j RETURN`,
    `-A FLANNEL-POSTRTG -s ${clusterCIDR} ! -d 224.0.0.0/4 -m comment ${c} -j MASQUERADE --random-fully`,
    `-A FLANNEL-POSTRTG ! -s ${clusterCIDR} -d ${clusterCIDR} -m comment ${c} -j MASQUERADE --random-fully`,
    '-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000',
    '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
    '-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0',
    '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
  ];
  const svcLines: string[] = [];
  const sepLines: string[] = [];
  for (const svc of services) {
    if (svc.endpoints.length === 0) continue;
    for (const p of svc.ports) {
      const id = `${svc.namespace}/${svc.name}${p.name ? `:${p.name}` : ''}`;
      const proto = p.protocol.toLowerCase();
      const svcChain = `KUBE-SVC-${svcHash(id)}`;
      chains[svcChain] = '-';
      svcLines.push(
        `-A KUBE-SERVICES -d ${svc.clusterIP}/32 -p ${proto} -m comment --comment "${id} cluster IP" -m ${proto} --dport ${p.port} -j ${svcChain}`,
      );
      sepLines.push(
        `-A ${svcChain} ! -s ${clusterCIDR} -d ${svc.clusterIP}/32 -p ${proto} -m comment --comment "${id} cluster IP" -m ${proto} --dport ${p.port} -j KUBE-MARK-MASQ`,
      );
      const n = svc.endpoints.length;
      svc.endpoints.forEach((ep, k) => {
        const target = `${ep}:${p.targetPort ?? p.port}`;
        const sep = `KUBE-SEP-${svcHash(`${id}:${target}`)}`;
        chains[sep] = '-';
        const prob =
          k < n - 1 ? ` -m statistic --mode random --probability ${(1 / (n - k)).toFixed(11)}` : '';
        sepLines.push(`-A ${svcChain} -m comment --comment "${id} -> ${target}"${prob} -j ${sep}`);
        sepLines.push(`-A ${sep} -s ${ep}/32 -m comment --comment "${id}" -j KUBE-MARK-MASQ`);
        sepLines.push(
          `-A ${sep} -p ${proto} -m comment --comment "${id}" -m ${proto} -j DNAT --to-destination ${target}`,
        );
      });
    }
  }
  svcLines.push(
    '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS',
  );
  return table('nat', chains, [...lines, ...svcLines, ...sepLines]);
}

function filterTable(clusterCIDR: string): IptablesTable {
  return table(
    'filter',
    {
      INPUT: 'ACCEPT',
      FORWARD: 'ACCEPT',
      OUTPUT: 'ACCEPT',
      'FLANNEL-FWD': '-',
      'KUBE-EXTERNAL-SERVICES': '-',
      'KUBE-FIREWALL': '-',
      'KUBE-FORWARD': '-',
      'KUBE-KUBELET-CANARY': '-',
      'KUBE-NODEPORTS': '-',
      'KUBE-PROXY-CANARY': '-',
      'KUBE-PROXY-FIREWALL': '-',
      'KUBE-SERVICES': '-',
    },
    [
      '-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
      '-A INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS',
      '-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
      '-A INPUT -j KUBE-FIREWALL',
      '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
      '-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD',
      '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
      '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
      '-A FORWARD -m comment --comment "flanneld forward" -j FLANNEL-FWD',
      '-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
      '-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
      '-A OUTPUT -j KUBE-FIREWALL',
      `-A FLANNEL-FWD -s ${clusterCIDR} -m comment --comment "flanneld forward" -j ACCEPT`,
      `-A FLANNEL-FWD -d ${clusterCIDR} -m comment --comment "flanneld forward" -j ACCEPT`,
      '-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP',
      '-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP',
      '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT',
      '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    ],
  );
}

function mangleTable(): IptablesTable {
  return table(
    'mangle',
    {
      PREROUTING: 'ACCEPT',
      INPUT: 'ACCEPT',
      FORWARD: 'ACCEPT',
      OUTPUT: 'ACCEPT',
      POSTROUTING: 'ACCEPT',
      'KUBE-IPTABLES-HINT': '-',
      'KUBE-KUBELET-CANARY': '-',
      'KUBE-PROXY-CANARY': '-',
    },
    [],
  );
}

/** Datapaths of a healthy flannel VXLAN cluster, keyed by node name. */
export function flannelDatapaths(
  nodes: FlannelNodeSpec[],
  opts: FlannelDatapathOptions = {},
): Record<string, NodeDatapath> {
  const clusterCIDR = opts.clusterCIDR ?? '10.244.0.0/16';
  const mtu = opts.mtu ?? 1450;
  const underlayMtu = opts.underlayMtu ?? 1500;
  const podsPerNode = opts.podsPerNode ?? 2;
  const first = nodes[0];
  const services =
    opts.services ??
    (first
      ? defaultServices(
          first.internalIP,
          nodes.slice(0, 2).map((n) => withLast(netOf(n.podCIDR), 2)),
        )
      : []);
  const out: Record<string, NodeDatapath> = {};
  nodes.forEach((self, i) => {
    const podNet = netOf(self.podCIDR);
    const podLen = Number(self.podCIDR.split('/')[1]);
    const bridgeIp = withLast(podNet, 1);
    const underGw = withLast(self.internalIP, 1);
    const underNet = `${withLast(self.internalIP, 0)}/24`;
    const links: Link[] = [
      {
        ifindex: 1,
        ifname: 'lo',
        flags: ['LOOPBACK', 'UP', 'LOWER_UP'],
        mtu: 65536,
        operstate: 'UNKNOWN',
        linkType: 'loopback',
        address: '00:00:00:00:00:00',
        addrs: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8, scope: 'host' }],
      },
      {
        ifindex: 2,
        ifname: 'eth0',
        flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'],
        mtu: underlayMtu,
        operstate: 'UP',
        linkType: 'ether',
        address: mac('52:54:00:12:34', 0, i + 1),
        addrs: [
          {
            family: 'inet',
            local: self.internalIP,
            prefixlen: 24,
            broadcast: withLast(self.internalIP, 255),
            scope: 'global',
          },
        ],
      },
      {
        ifindex: 3,
        ifname: 'flannel.1',
        flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'],
        mtu,
        operstate: 'UNKNOWN',
        linkType: 'ether',
        address: self.vtepMac,
        kind: 'vxlan',
        vxlan: { id: 1, port: 8472, local: self.internalIP, dev: 'eth0', learning: false },
        addrs: [{ family: 'inet', local: podNet, prefixlen: 32, scope: 'global' }],
      },
      {
        ifindex: 4,
        ifname: 'cni0',
        flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'],
        mtu,
        operstate: 'UP',
        linkType: 'ether',
        address: mac('ce:3a:9f:00', i + 1, 0),
        kind: 'bridge',
        addrs: [
          {
            family: 'inet',
            local: bridgeIp,
            prefixlen: podLen,
            broadcast: withLast(podNet, 255),
            scope: 'global',
          },
        ],
      },
    ];
    for (let k = 0; k < podsPerNode; k++) {
      links.push({
        ifindex: 5 + k,
        ifname: `veth${(0x1a2b3c00 + i * 16 + k).toString(16)}`,
        flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'],
        mtu,
        operstate: 'UP',
        linkType: 'ether',
        address: mac('7e:11:22:33', i + 1, k + 1),
        master: 'cni0',
        kind: 'veth',
        link: 'if2',
        addrs: [],
      });
    }
    const routes: Route[] = [
      { dst: 'default', gateway: underGw, dev: 'eth0', table: 'main', flags: [] },
      {
        dst: underNet,
        dev: 'eth0',
        protocol: 'kernel',
        scope: 'link',
        prefsrc: self.internalIP,
        table: 'main',
        flags: [],
      },
      {
        dst: `${podNet}/${podLen}`,
        dev: 'cni0',
        protocol: 'kernel',
        scope: 'link',
        prefsrc: bridgeIp,
        table: 'main',
        flags: [],
      },
    ];
    const neighbors: Neighbor[] = [
      { dst: underGw, dev: 'eth0', lladdr: '52:54:00:00:00:01', state: ['REACHABLE'] },
    ];
    const fdb: FdbEntry[] = [
      { mac: links[3]!.address!, dev: 'cni0', vlan: 1, master: 'cni0', flags: [], state: 'permanent' },
      { mac: links[3]!.address!, dev: 'cni0', master: 'cni0', flags: [], state: 'permanent' },
    ];
    const capture: Record<string, number> = {};
    nodes.forEach((peer, j) => {
      if (j === i) return;
      const peerNet = netOf(peer.podCIDR);
      routes.push({
        dst: `${peerNet}/${peer.podCIDR.split('/')[1]}`,
        gateway: peerNet,
        dev: 'flannel.1',
        table: 'main',
        flags: ['onlink'],
      });
      neighbors.push({ dst: peerNet, dev: 'flannel.1', lladdr: peer.vtepMac, state: ['PERMANENT'] });
      neighbors.push({
        dst: peer.internalIP,
        dev: 'eth0',
        lladdr: mac('52:54:00:12:34', 0, j + 1),
        state: ['STALE'],
      });
      fdb.push({
        mac: peer.vtepMac,
        dev: 'flannel.1',
        dst: peer.internalIP,
        flags: ['self'],
        state: 'permanent',
      });
      capture[peer.internalIP] = opts.vxlanPackets ?? DEFAULT_VXLAN_PACKETS;
    });
    routes.push(
      {
        type: 'local',
        dst: `${self.internalIP}/32`,
        dev: 'eth0',
        table: 'local',
        protocol: 'kernel',
        scope: 'host',
        prefsrc: self.internalIP,
        flags: [],
      },
      {
        type: 'local',
        dst: `${bridgeIp}/32`,
        dev: 'cni0',
        table: 'local',
        protocol: 'kernel',
        scope: 'host',
        prefsrc: bridgeIp,
        flags: [],
      },
      {
        type: 'local',
        dst: `${podNet}/32`,
        dev: 'flannel.1',
        table: 'local',
        protocol: 'kernel',
        scope: 'host',
        prefsrc: podNet,
        flags: [],
      },
    );
    const cniConfigs: CniConfigFile[] = [
      {
        file: '10-flannel.conflist',
        name: 'cbr0',
        cniVersion: '0.3.1',
        plugins: ['flannel', 'portmap'],
        raw: FLANNEL_CONFLIST,
      },
    ];
    const dp: NodeDatapath = {
      name: self.name,
      links,
      routes,
      neighbors,
      fdb,
      iptablesNft: {
        backend: 'nf_tables',
        tables: {
          mangle: mangleTable(),
          filter: filterTable(clusterCIDR),
          nat: natTable(self, clusterCIDR, services),
        },
      },
      iptablesLegacy: { backend: 'unknown', tables: {} },
      sysctls: {
        'net.ipv4.ip_forward': '1',
        'net.bridge.bridge-nf-call-iptables': '1',
        'net.bridge.bridge-nf-call-ip6tables': '1',
        'net.ipv4.conf.all.rp_filter': '0',
      },
      modules: [
        'br_netfilter',
        'bridge',
        'stp',
        'llc',
        'vxlan',
        'ip6_udp_tunnel',
        'udp_tunnel',
        'overlay',
        'veth',
        'nf_conntrack',
        'nf_tables',
        'nft_compat',
        'xt_MASQUERADE',
        'xt_conntrack',
        'xt_mark',
        'xt_comment',
      ],
      cniConfigs,
      flannelSubnetEnv: { network: clusterCIDR, subnet: `${bridgeIp}/${podLen}`, mtu, ipmasq: true },
      resolvConf: { nameservers: [underGw], search: [], options: [] },
    };
    if (opts.vxlanPackets !== null) {
      dp.vxlanCapture = {
        iface: 'eth0',
        port: 8472,
        seconds: 10,
        packetsByPeer: capture,
        total: Object.values(capture).reduce((a, b) => a + b, 0),
      };
    }
    out[self.name] = dp;
  });
  return out;
}

/** Node specs `worker-1..n`: podCIDR 10.244.i.0/24, InternalIP 192.168.1.(10+i), VtepMAC a6:4e:77:00:00:0i. */
export function flannelNodes(n: number): FlannelNodeSpec[] {
  return Array.from({ length: n }, (_, k) => {
    const i = k + 1;
    return {
      name: `worker-${i}`,
      podCIDR: `10.244.${i}.0/24`,
      internalIP: `192.168.1.${10 + i}`,
      vtepMac: mac('a6:4e:77:00', i >> 8, i),
    };
  });
}

function dp(dps: Record<string, NodeDatapath>, node: string): NodeDatapath {
  const d = dps[node];
  if (!d) throw new Error(`no datapath for ${node}`);
  return d;
}

/** What the builder put on a node: its pod CIDR, underlay IP and VtepMAC, read back from the datapath. */
export function nodeFacts(d: NodeDatapath): {
  podCIDR: string;
  internalIP: string;
  vtepMac: string;
  gateway: string;
} {
  const vx = d.links?.find((l) => l.ifname === 'flannel.1');
  const eth = d.links?.find((l) => l.ifname === 'eth0');
  const env = d.flannelSubnetEnv?.subnet ?? '';
  const [addr, len] = env.split('/');
  return {
    podCIDR: `${withLast(addr ?? '0.0.0.0', 0)}/${len}`,
    internalIP: eth?.addrs[0]?.local ?? '',
    vtepMac: vx?.address ?? '',
    gateway: withLast(addr ?? '0.0.0.0', 0),
  };
}

/** Seed 004: the agent stalled before programming peers; only the node's own subnet route is left. */
export function removePeerRoutes(dps: Record<string, NodeDatapath>, node: string): void {
  const d = dp(dps, node);
  d.routes = (d.routes ?? []).filter((r) => r.dev !== 'flannel.1');
}

/** The route to `peer`'s pod subnet points at a different gateway (another peer's VTEP, or the underlay gateway). */
export function wrongRoute(dps: Record<string, NodeDatapath>, node: string, peer: string): void {
  const d = dp(dps, node);
  const target = nodeFacts(dp(dps, peer));
  const other = Object.keys(dps).find((n) => n !== node && n !== peer);
  const via = other ? nodeFacts(dp(dps, other)).gateway : undefined;
  d.routes = (d.routes ?? []).map((r) => {
    if (r.dst !== target.podCIDR || r.table !== 'main') return r;
    if (via) return { ...r, gateway: via };
    const gw = nodeFacts(d).internalIP;
    return { dst: r.dst, gateway: withLast(gw, 1), dev: 'eth0', table: 'main', flags: [] };
  });
}

/** Seed 002: cni0 carries an address from another range (its kernel route follows it). */
export function readdressCni0(dps: Record<string, NodeDatapath>, node: string, cidr: string): void {
  const d = dp(dps, node);
  const [addr, len] = cidr.split('/');
  const prefixlen = Number(len);
  const oldRoute = nodeFacts(d).podCIDR;
  for (const l of d.links ?? []) {
    if (l.ifname === 'cni0') l.addrs = [{ family: 'inet', local: addr!, prefixlen, scope: 'global' }];
  }
  const o = octets(addr!);
  const mask = prefixlen === 0 ? 0 : (0xffffffff << (32 - prefixlen)) >>> 0;
  const n = ((((o[0]! << 24) | (o[1]! << 16) | (o[2]! << 8) | o[3]!) >>> 0) & mask) >>> 0;
  const net = `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}/${prefixlen}`;
  d.routes = (d.routes ?? []).map((r) =>
    r.dst === oldRoute && r.dev === 'cni0' ? { ...r, dst: net, prefsrc: addr! } : r,
  );
}

/** Drops the neighbour and FDB entries for `peer`'s VTEP on `node`. */
export function removeFdb(dps: Record<string, NodeDatapath>, node: string, peer: string): void {
  const d = dp(dps, node);
  const p = nodeFacts(dp(dps, peer));
  d.fdb = (d.fdb ?? []).filter((e) => !(e.dev === 'flannel.1' && e.mac === p.vtepMac));
  d.neighbors = (d.neighbors ?? []).filter((n) => !(n.dev === 'flannel.1' && n.dst === p.gateway));
}

/** Points `peer`'s FDB entry on `node` at another node's underlay address. */
export function misdirectFdb(
  dps: Record<string, NodeDatapath>,
  node: string,
  peer: string,
  towards: string,
): void {
  const d = dp(dps, node);
  const p = nodeFacts(dp(dps, peer));
  const t = nodeFacts(dp(dps, towards));
  for (const e of d.fdb ?? []) if (e.dev === 'flannel.1' && e.mac === p.vtepMac) e.dst = t.internalIP;
}

function nftFilter(d: NodeDatapath): IptablesTable {
  const dump = d.iptablesNft;
  const t = dump?.tables['filter'];
  if (!t) throw new Error(`${d.name} has no nft filter table`);
  return t;
}

/** Inserts `-A INPUT -p udp -m udp --dport 8472 -j DROP` (from `fromPeer` only, when given) at the top of INPUT. */
export function dropVxlanPort(dps: Record<string, NodeDatapath>, node: string, fromPeer?: string): void {
  const d = dp(dps, node);
  const src = fromPeer ? `-s ${nodeFacts(dp(dps, fromPeer)).internalIP}/32 ` : '';
  nftFilter(d).rules.unshift(iptablesRule(`-A INPUT ${src}-p udp -m udp --dport 8472 -j DROP`));
}

/**
 * Sets flannel.1's MTU; with `everywhere`, also cni0, the pod veths and subnet.env (as if flannel
 * had been configured with that MTU).
 */
export function setMtu(
  dps: Record<string, NodeDatapath>,
  node: string,
  mtu: number,
  everywhere = false,
): void {
  const d = dp(dps, node);
  for (const l of d.links ?? []) {
    if (l.ifname === 'flannel.1' || (everywhere && (l.ifname === 'cni0' || l.master === 'cni0'))) l.mtu = mtu;
  }
  if (everywhere && d.flannelSubnetEnv) d.flannelSubnetEnv.mtu = mtu;
}

/** Sets the underlay (eth0) MTU. */
export function setUnderlayMtu(dps: Record<string, NodeDatapath>, node: string, mtu: number): void {
  for (const l of dp(dps, node).links ?? []) if (l.ifname === 'eth0') l.mtu = mtu;
}

export function ipForwardOff(dps: Record<string, NodeDatapath>, node: string): void {
  const d = dp(dps, node);
  d.sysctls = { ...d.sysctls, 'net.ipv4.ip_forward': '0' };
}

/** bridge-nf-call-iptables = 0; with `unload`, br_netfilter is gone and the key with it. */
export function bridgeNfOff(dps: Record<string, NodeDatapath>, node: string, unload = false): void {
  const d = dp(dps, node);
  const s = { ...d.sysctls };
  if (unload) {
    delete s['net.bridge.bridge-nf-call-iptables'];
    delete s['net.bridge.bridge-nf-call-ip6tables'];
    d.modules = (d.modules ?? []).filter((m) => m !== 'br_netfilter');
  } else {
    s['net.bridge.bridge-nf-call-iptables'] = '0';
  }
  d.sysctls = s;
}

/** Removes flannel's pod-egress MASQUERADE rules (`rules`) or POSTROUTING's jump to FLANNEL-POSTRTG (`jump`). */
export function removeMasquerade(
  dps: Record<string, NodeDatapath>,
  node: string,
  how: 'rules' | 'jump' = 'rules',
): void {
  const nat = dp(dps, node).iptablesNft?.tables['nat'];
  if (!nat) return;
  nat.rules = nat.rules.filter((r) =>
    how === 'rules'
      ? !(r.chain === 'FLANNEL-POSTRTG' && r.target === 'MASQUERADE')
      : !(r.chain === 'POSTROUTING' && r.target === 'FLANNEL-POSTRTG'),
  );
}

/** kube-proxy's rules land in iptables-legacy while flannel's stay in iptables-nft. */
export function splitIptables(dps: Record<string, NodeDatapath>, node: string): void {
  const d = dp(dps, node);
  const nft = d.iptablesNft;
  if (!nft) return;
  const legacy: IptablesDump = { backend: 'legacy', tables: {} };
  for (const [name, t] of Object.entries(nft.tables)) {
    const isKube = (s: string | undefined) => !!s && s.startsWith('KUBE-');
    const moved = t.rules.filter((r) => isKube(r.chain) || isKube(r.target));
    if (moved.length === 0) continue;
    const chains: Record<string, string> = {};
    for (const [c, pol] of Object.entries(t.chains)) if (pol !== '-' || isKube(c)) chains[c] = pol;
    legacy.tables[name] = { name, chains, rules: moved };
    t.rules = t.rules.filter((r) => !moved.includes(r));
    for (const c of Object.keys(t.chains)) if (isKube(c)) delete t.chains[c];
  }
  d.iptablesLegacy = legacy;
}

/** /etc/cni/net.d is empty. */
export function removeCniConfig(dps: Record<string, NodeDatapath>, node: string): void {
  dp(dps, node).cniConfigs = [];
}

/** The nat table lost KUBE-SERVICES and the per-Service chains (kube-proxy never synced). */
export function removeKubeServices(dps: Record<string, NodeDatapath>, node: string): void {
  const nat = dp(dps, node).iptablesNft?.tables['nat'];
  if (!nat) return;
  const gone = (c: string | undefined) =>
    !!c && (c === 'KUBE-SERVICES' || c.startsWith('KUBE-SVC-') || c.startsWith('KUBE-SEP-'));
  nat.rules = nat.rules.filter((r) => !gone(r.chain) && !gone(r.target));
  for (const c of Object.keys(nat.chains)) if (gone(c)) delete nat.chains[c];
}

/** Sets the overlay capture: packets seen to/from each peer (by node name). */
export function captureVxlan(
  dps: Record<string, NodeDatapath>,
  node: string,
  packetsByPeerNode: Record<string, number>,
): void {
  const d = dp(dps, node);
  const packetsByPeer: Record<string, number> = {};
  for (const [peer, n] of Object.entries(packetsByPeerNode))
    packetsByPeer[nodeFacts(dp(dps, peer)).internalIP] = n;
  d.vxlanCapture = {
    iface: 'eth0',
    port: 8472,
    seconds: 10,
    packetsByPeer,
    total: Object.values(packetsByPeer).reduce((a, b) => a + b, 0),
  };
}
