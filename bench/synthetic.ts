/**
 * A deterministic synthetic bundle for the benchmark: N nodes with the raw node files a real
 * flannel cluster has (a route, a permanent neighbour and an FDB entry per peer; kube-proxy's
 * iptables-nft-save for every Service; sysctls; the conflist), plus pods, Services,
 * EndpointSlices, NetworkPolicies and namespaces. Shapes follow the recorded examples
 * (examples/, captured from real commands). Output is cached under
 * $NETDOCTOR_BENCH_DIR (default /tmp/netdoctor-bench)/<params-hash>/bundle and reused.
 *
 * Each node's iptables holds what kube-proxy and flannel write, kept compact: a KUBE-SERVICES
 * dispatch line for every Service and one KUBE-SVC/KUBE-SEP pair per Service (a real node has
 * one SEP per endpoint; one is enough for every rule and keeps the 5,000-node bundle on disk).
 *
 * Files are streamed straight into the layout of src/collect/bundle/layout.ts (a 5,000-node
 * bundle is far larger than one in-memory BundleInput), with the same manifest shape.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  BUNDLE_FORMAT,
  BUNDLE_VERSION,
  type BundleManifest,
  CLUSTER_FILES,
  MANIFEST,
  NODE_CNI_DIR,
  type NodeFileKey,
  nodeDir,
  nodeFile,
} from '../src/collect/bundle/layout.ts';
import { type SharedChainsIndex, splitIptablesSave } from '../src/collect/bundle/shared-chains.ts';
import { encodeRecords, type RecordBase, recordBase } from '../src/collect/bundle/shared-records.ts';
import { NETDOCTOR_VERSION } from '../src/core/version.ts';

export interface SyntheticParams {
  nodes: number;
  pods: number;
  services: number;
  policies: number;
  namespaces: number;
  /** Services programmed into each node's iptables (default: all). */
  iptablesServices: number;
  seed: number;
  /**
   * How node iptables files are stored: `shared` (what netdoctor writes: kube-proxy's Service
   * chains once per distinct content) or `whole` (every node's full dump, as bundles written
   * before shared chains).
   */
  layout: 'shared' | 'whole';
  /**
   * `per-node`: each node's KUBE-SERVICES in an order of its own, as kube-proxy writes it (Go map
   * order); `same`: one order on every node, a cluster where nothing differs.
   */
  dispatchOrder: 'per-node' | 'same';
}

export const FULL: SyntheticParams = {
  nodes: 5000,
  pods: 150_000,
  services: 5000,
  policies: 10_000,
  namespaces: 1000,
  iptablesServices: 5000,
  seed: 1,
  layout: 'shared',
  dispatchOrder: 'per-node',
};

export const QUICK: SyntheticParams = {
  nodes: 500,
  pods: 15_000,
  services: 500,
  policies: 1000,
  namespaces: 100,
  iptablesServices: 500,
  seed: 1,
  layout: 'shared',
  dispatchOrder: 'per-node',
};

/** mulberry32: small, fast, deterministic. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CLUSTER_CIDR = '10.128.0.0/9';
const nodeName = (i: number): string => `node-${String(i).padStart(5, '0')}`;
const nodeIP = (i: number): string => `172.${16 + ((i + 1) >> 16)}.${((i + 1) >> 8) & 255}.${(i + 1) & 255}`;
const subnetOct = (i: number): string => `10.${128 + (i >> 8)}.${i & 255}`;
const podCIDR = (i: number): string => `${subnetOct(i)}.0/24`;
const svcIP = (i: number): string => `10.${96 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;
/** Nodes that run the two CoreDNS replicas. */
const COREDNS = [0, 1];
const nsName = (i: number): string => `ns-${String(i).padStart(4, '0')}`;

function mac(rand: () => number): string {
  const b = Array.from({ length: 6 }, () => Math.floor(rand() * 256));
  b[0] = (b[0]! & 0xfe) | 0x02;
  return b.map((x) => x.toString(16).padStart(2, '0')).join(':');
}
function uuid(rand: () => number): string {
  const h = Array.from({ length: 16 }, () =>
    Math.floor(rand() * 256)
      .toString(16)
      .padStart(2, '0'),
  ).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
function chainHash(s: string): string {
  const d = createHash('sha256').update(s).digest();
  let bits = 0;
  let val = 0;
  let out = '';
  for (const b of d) {
    val = ((val << 8) | b) & 0xffff;
    bits += 8;
    while (bits >= 5 && out.length < 16) {
      out += B32[(val >>> (bits - 5)) & 31];
      bits -= 5;
    }
    if (out.length >= 16) break;
  }
  return out;
}

/** Where generated bundles are cached: $NETDOCTOR_BENCH_DIR, else /tmp/netdoctor-bench. */
export function benchDir(): string {
  return process.env['NETDOCTOR_BENCH_DIR'] || '/tmp/netdoctor-bench';
}

export function paramsHash(p: SyntheticParams): string {
  return createHash('sha256')
    .update(JSON.stringify({ v: 12, ...p }))
    .digest('hex')
    .slice(0, 16);
}

/** Writes chunks to a file through a stream, honouring back-pressure. */
async function writeChunks(path: string, chunks: Iterable<string>): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const ws = createWriteStream(path);
  for (const c of chunks) {
    if (!ws.write(c)) await new Promise<void>((r) => ws.once('drain', () => r()));
  }
  await new Promise<void>((resolve, reject) =>
    ws.end((err?: Error | null) => (err ? reject(err) : resolve())),
  );
}

/** A `List` file as the bundle writer lays it out; `_kind` names what it holds (for readers of this code). */
function* list(_kind: string, items: Iterable<unknown>): Generator<string> {
  yield '{"apiVersion":"v1","kind":"List","items":[';
  let first = true;
  for (const it of items) {
    yield `${first ? '\n' : ',\n'}${JSON.stringify(it)}`;
    first = false;
  }
  yield first ? ']}\n' : '\n]}\n';
}

const CONFLIST =
  '{\n  "name": "cbr0",\n  "cniVersion": "0.3.1",\n  "plugins": [\n    {\n      "type": "flannel",\n      "delegate": {\n        "hairpinMode": true,\n        "isDefaultGateway": true\n      }\n    },\n    {\n      "type": "portmap",\n      "capabilities": {\n        "portMappings": true\n      }\n    }\n  ]\n}\n';

/** A shuffled copy (Fisher-Yates). */
function shuffled<T>(items: readonly T[], rand: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** Generates the bundle (or reuses a complete cached one) and returns its directory. */
export async function ensureSynthetic(
  p: SyntheticParams,
  log: (s: string) => void = () => {},
): Promise<string> {
  const base = join(benchDir(), paramsHash(p));
  const dir = join(base, 'bundle');
  if (existsSync(join(base, 'complete'))) {
    log(`reusing ${dir}`);
    return dir;
  }
  await rm(base, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const t0 = performance.now();
  const rand = prng(p.seed);
  const macs = Array.from({ length: p.nodes }, () => mac(rand));

  // Per-peer entries are the same text on every node; each node's file is all of them but its own.
  const routeOf = (j: number) =>
    `{"dst":"${podCIDR(j)}","gateway":"${subnetOct(j)}.0","dev":"flannel.1","flags":["onlink"]}`;
  const neighOf = (j: number) =>
    `{"dst":"${subnetOct(j)}.0","dev":"flannel.1","lladdr":"${macs[j]}","state":["PERMANENT"]}`;
  const fdbOf = (j: number) =>
    `{"mac":"${macs[j]}","ifname":"flannel.1","dst":"${nodeIP(j)}","flags":["self"],"state":"permanent"}`;
  const joined = (f: (j: number) => string) => {
    const parts = Array.from({ length: p.nodes }, (_, j) => f(j));
    const offsets = [0];
    for (const s of parts) offsets.push(offsets[offsets.length - 1]! + s.length + 1);
    return { all: parts.join(','), offsets };
  };
  const routes = joined(routeOf);
  const neighs = joined(neighOf);
  const fdbs = joined(fdbOf);
  const without = (j: { all: string; offsets: number[] }, i: number): string => {
    const a = j.all.slice(0, Math.max(0, j.offsets[i]! - 1));
    const b = j.all.slice(j.offsets[i + 1]!);
    return a && b ? `${a},${b}` : a || b;
  };

  // Services and their endpoints (pods), shared by the cluster files and iptables.
  const nsOfSvc = (s: number) => nsName(s % p.namespaces);
  const podsPerSvc = Math.max(1, Math.floor(p.pods / Math.max(1, p.services)));
  const podIP = (k: number): string => {
    const node = k % p.nodes;
    const slot = Math.floor(k / p.nodes) + 2;
    return `${subnetOct(node)}.${slot % 254}`;
  };
  const iptSvc = Math.min(p.iptablesServices, p.services);
  const kubeRules: string[] = [];
  const kubeChains: string[] = [];
  const svcLines: string[] = [];
  const addService = (portName: string, proto: 'tcp' | 'udp', ip: string, port: number, eps: string[]) => {
    const svcChain = `KUBE-SVC-${chainHash(`${portName}${proto}`)}`;
    kubeChains.push(svcChain);
    svcLines.push(
      `-A KUBE-SERVICES -d ${ip}/32 -p ${proto} -m comment --comment "${portName} cluster IP" -m ${proto} --dport ${port} -j ${svcChain}`,
    );
    kubeRules.push(
      `-A ${svcChain} ! -s ${CLUSTER_CIDR} -d ${ip}/32 -p ${proto} -m comment --comment "${portName} cluster IP" -m ${proto} --dport ${port} -j KUBE-MARK-MASQ`,
    );
    eps.forEach((ep, e) => {
      const sep = `KUBE-SEP-${chainHash(`${portName}${proto}${ep}`)}`;
      kubeChains.push(sep);
      const left = eps.length - e;
      const stat = left > 1 ? ` -m statistic --mode random --probability ${(1 / left).toFixed(11)}` : '';
      kubeRules.push(
        `-A ${svcChain} -m comment --comment "${portName} -> ${ep}"${stat} -j ${sep}`,
        `-A ${sep} -s ${ep.split(':')[0]}/32 -m comment --comment "${portName}" -j KUBE-MARK-MASQ`,
        `-A ${sep} -p ${proto} -m comment --comment "${portName}" -m ${proto} -j DNAT --to-destination ${ep}`,
      );
    });
  };
  const dnsEps = COREDNS.map((node) => `${subnetOct(node)}.254:53`);
  addService('kube-system/kube-dns:dns', 'udp', '10.96.0.10', 53, dnsEps);
  addService('kube-system/kube-dns:dns-tcp', 'tcp', '10.96.0.10', 53, dnsEps);
  for (let s = 0; s < iptSvc; s++) {
    const eps = [`${podIP(s * podsPerSvc)}:8080`];
    addService(`${nsOfSvc(s)}/svc-${s}:http`, 'tcp', svcIP(s + 100), 80, eps);
  }
  const natHead = [
    '*nat',
    ':PREROUTING ACCEPT [0:0]',
    ':INPUT ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':POSTROUTING ACCEPT [0:0]',
    ':FLANNEL-POSTRTG - [0:0]',
    ':KUBE-KUBELET-CANARY - [0:0]',
    ':KUBE-MARK-MASQ - [0:0]',
    ':KUBE-NODEPORTS - [0:0]',
    ':KUBE-POSTROUTING - [0:0]',
    ':KUBE-PROXY-CANARY - [0:0]',
    ':KUBE-SERVICES - [0:0]',
    ...kubeChains.sort().map((c) => `:${c} - [0:0]`),
    '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
    '-A POSTROUTING -m comment --comment "flanneld masq" -j FLANNEL-POSTRTG',
  ].join('\n');
  // kube-proxy writes KUBE-SERVICES in Go map order, so each node holds its own order.
  const natTail = (dispatch: readonly string[]) =>
    [
      '-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000',
      '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
      '-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0',
      '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
      ...dispatch,
      '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS',
      ...kubeRules,
      'COMMIT',
    ].join('\n');
  const filterPart = [
    '*filter',
    ':INPUT ACCEPT [0:0]',
    ':FORWARD ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':FLANNEL-FWD - [0:0]',
    ':KUBE-FIREWALL - [0:0]',
    ':KUBE-FORWARD - [0:0]',
    ':KUBE-SERVICES - [0:0]',
    '-A INPUT -j KUBE-FIREWALL',
    '-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD',
    '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A FORWARD -m comment --comment "flanneld forward" -j FLANNEL-FWD',
    '-A OUTPUT -j KUBE-FIREWALL',
    `-A FLANNEL-FWD -s ${CLUSTER_CIDR} -m comment --comment "flanneld forward" -j ACCEPT`,
    `-A FLANNEL-FWD -d ${CLUSTER_CIDR} -m comment --comment "flanneld forward" -j ACCEPT`,
    '-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP',
    '-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP',
    '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT',
    'COMMIT',
  ].join('\n');

  const files: { path: string; bytes: number }[] = [];
  const put = async (rel: string, chunks: Iterable<string>) => {
    const abs = join(dir, rel);
    await writeChunks(abs, chunks);
    files.push({ path: rel, bytes: (await stat(abs)).size });
  };

  const sharedWritten = new Set<string>();
  const chainsIndex: SharedChainsIndex = new Map();
  // The bundle writer's own record sharing (bundle-files.ts): the first node's list is the base.
  const bases = new Map<NodeFileKey, RecordBase>();
  const putList = async (name: string, key: NodeFileKey, chunks: string[]) => {
    if (p.layout === 'whole') return put(nodeFile(name, key), chunks);
    const text = chunks.join('');
    let base = bases.get(key);
    if (!base) {
      base = recordBase(text);
      if (base) {
        bases.set(key, base);
        await put(base.path, [base.text]);
      }
    }
    const encoded = base && encodeRecords(text, base);
    return put(nodeFile(name, key), [encoded ?? text]);
  };
  for (let i = 0; i < p.nodes; i++) {
    const name = nodeName(i);
    const ip = nodeIP(i);
    const o = subnetOct(i);
    const links = [
      `{"ifindex":1,"ifname":"lo","flags":["LOOPBACK","UP","LOWER_UP"],"mtu":65536,"qdisc":"noqueue","operstate":"UNKNOWN","group":"default","txqlen":1000,"link_type":"loopback","address":"00:00:00:00:00:00","broadcast":"00:00:00:00:00:00","promiscuity":0,"allmulti":0,"min_mtu":0,"max_mtu":0,"num_tx_queues":1,"num_rx_queues":1,"gso_max_size":65536,"gso_max_segs":65535,"addr_info":[{"family":"inet","local":"127.0.0.1","prefixlen":8,"scope":"host","label":"lo","valid_life_time":4294967295,"preferred_life_time":4294967295}]}`,
      `{"ifindex":2,"ifname":"eth0","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1500,"qdisc":"noqueue","operstate":"UP","group":"default","txqlen":1000,"link_type":"ether","address":"${mac(rand)}","broadcast":"ff:ff:ff:ff:ff:ff","promiscuity":0,"allmulti":0,"min_mtu":68,"max_mtu":65535,"linkinfo":{"info_kind":"veth"},"num_tx_queues":2,"num_rx_queues":2,"addr_info":[{"family":"inet","local":"${ip}","prefixlen":12,"broadcast":"172.31.255.255","scope":"global","label":"eth0","valid_life_time":4294967295,"preferred_life_time":4294967295}]}`,
      `{"ifindex":3,"ifname":"cni0","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1450,"qdisc":"noqueue","operstate":"UP","group":"default","txqlen":1000,"link_type":"ether","address":"${mac(rand)}","broadcast":"ff:ff:ff:ff:ff:ff","promiscuity":0,"allmulti":0,"min_mtu":68,"max_mtu":65535,"linkinfo":{"info_kind":"bridge","info_data":{"forward_delay":1500,"hello_time":200,"max_age":2000,"ageing_time":30000,"stp_state":0,"priority":32768,"vlan_filtering":0,"vlan_protocol":"802.1Q"}},"num_tx_queues":1,"num_rx_queues":1,"addr_info":[{"family":"inet","local":"${o}.1","prefixlen":24,"broadcast":"${o}.255","scope":"global","label":"cni0","valid_life_time":4294967295,"preferred_life_time":4294967295}]}`,
      `{"ifindex":4,"ifname":"flannel.1","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1450,"qdisc":"noqueue","operstate":"UNKNOWN","group":"default","link_type":"ether","address":"${macs[i]}","broadcast":"ff:ff:ff:ff:ff:ff","promiscuity":0,"allmulti":0,"min_mtu":68,"max_mtu":65535,"linkinfo":{"info_kind":"vxlan","info_data":{"id":1,"local":"${ip}","link":"eth0","port_range":{"low":0,"high":0},"port":8472,"learning":false,"ttl":0,"tos":0,"ageing":300,"udp_csum":true,"udp_zero_csum6_tx":false,"udp_zero_csum6_rx":false}},"num_tx_queues":1,"num_rx_queues":1,"addr_info":[{"family":"inet","local":"${o}.0","prefixlen":32,"scope":"global","label":"flannel.1","valid_life_time":4294967295,"preferred_life_time":4294967295}]}`,
    ];
    await put(nodeFile(name, 'links'), [`[${links.join(',')}]\n`]);
    const local = [
      `{"dst":"default","gateway":"172.16.0.1","dev":"eth0","flags":[]}`,
      `{"dst":"${podCIDR(i)}","dev":"cni0","protocol":"kernel","scope":"link","prefsrc":"${o}.1","flags":[]}`,
      `{"dst":"172.16.0.0/12","dev":"eth0","protocol":"kernel","scope":"link","prefsrc":"${ip}","flags":[]}`,
      `{"type":"local","dst":"${o}.0","dev":"flannel.1","table":"local","protocol":"kernel","scope":"host","prefsrc":"${o}.0","flags":[]}`,
      `{"type":"local","dst":"${o}.1","dev":"cni0","table":"local","protocol":"kernel","scope":"host","prefsrc":"${o}.1","flags":[]}`,
      `{"type":"local","dst":"${ip}","dev":"eth0","table":"local","protocol":"kernel","scope":"host","prefsrc":"${ip}","flags":[]}`,
    ];
    await putList(name, 'routes', ['[', local.join(','), ',', without(routes, i), ']\n']);
    await putList(name, 'neighbors', ['[', without(neighs, i), ']\n']);
    await putList(name, 'fdb', ['[', without(fdbs, i), ']\n']);
    const flannelNat = [
      `-A FLANNEL-POSTRTG -m mark --mark 0x4000/0x4000 -m comment --comment "flanneld masq" -j RETURN`,
      `-A FLANNEL-POSTRTG -s ${podCIDR(i)} -d ${CLUSTER_CIDR} -m comment --comment "flanneld masq" -j RETURN`,
      `-A FLANNEL-POSTRTG -s ${CLUSTER_CIDR} -d ${podCIDR(i)} -m comment --comment "flanneld masq" -j RETURN`,
      `-A FLANNEL-POSTRTG ! -s ${CLUSTER_CIDR} -d ${podCIDR(i)} -m comment --comment "flanneld masq" -j RETURN`,
      `-A FLANNEL-POSTRTG -s ${CLUSTER_CIDR} ! -d 224.0.0.0/4 -m comment --comment "flanneld masq" -j MASQUERADE --random-fully`,
      `-A FLANNEL-POSTRTG ! -s ${CLUSTER_CIDR} -d ${CLUSTER_CIDR} -m comment --comment "flanneld masq" -j MASQUERADE --random-fully`,
    ].join('\n');
    const iptables = [
      '# Generated by iptables-nft-save v1.8.9 (nf_tables) on Sun Nov 22 13:10:50 2026\n',
      filterPart,
      '\n# Completed on Sun Nov 22 13:10:50 2026\n# Generated by iptables-nft-save v1.8.9 (nf_tables) on Sun Nov 22 13:10:50 2026\n',
      natHead,
      '\n',
      flannelNat,
      '\n',
      natTail(p.dispatchOrder === 'per-node' ? shuffled(svcLines, prng(p.seed * 7919 + i)) : svcLines),
      '\n# Completed on Sun Nov 22 13:10:50 2026\n',
    ];
    // The bundle writer's own split (bundle-files.ts), unless the old whole-file layout is asked for.
    const split = p.layout === 'shared' ? splitIptablesSave(iptables.join(''), chainsIndex) : undefined;
    if (split && !sharedWritten.has(split.shared.path)) {
      sharedWritten.add(split.shared.path);
      await put(split.shared.path, [split.shared.text]);
    }
    await put(nodeFile(name, 'iptablesNft'), split ? [split.node] : iptables);
    await put(nodeFile(name, 'iptablesLegacy'), ['']);
    await put(nodeFile(name, 'sysctls'), [
      'net.ipv4.ip_forward = 1\nnet.bridge.bridge-nf-call-iptables = 1\nnet.bridge.bridge-nf-call-ip6tables = 1\nnet.ipv4.conf.all.rp_filter = 0\n',
    ]);
    await put(nodeFile(name, 'flannelSubnetEnv'), [
      `FLANNEL_NETWORK=${CLUSTER_CIDR}\nFLANNEL_SUBNET=${o}.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n`,
    ]);
    await put(nodeFile(name, 'resolvConf'), [
      'search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n',
    ]);
    await put(`${nodeDir(name)}/${NODE_CNI_DIR}/10-flannel.conflist`, [CONFLIST]);
    if (i % 500 === 499) log(`  nodes ${i + 1}/${p.nodes} (${Math.round(performance.now() - t0)} ms)`);
  }

  const created = '2026-10-06T09:12:44Z';
  await put(CLUSTER_FILES.version, [JSON.stringify({ gitVersion: 'v1.30.5' })]);
  await put(
    CLUSTER_FILES.namespaces,
    list(
      'NamespaceList',
      (function* () {
        for (let n = 0; n < p.namespaces; n++) {
          const name = nsName(n);
          yield {
            apiVersion: 'v1',
            kind: 'Namespace',
            metadata: {
              name,
              uid: uuid(rand),
              creationTimestamp: created,
              labels: { 'kubernetes.io/metadata.name': name, team: `team-${n % 37}` },
            },
            status: { phase: 'Active' },
          };
        }
      })(),
    ),
  );
  await put(
    CLUSTER_FILES.nodes,
    list(
      'NodeList',
      (function* () {
        for (let i = 0; i < p.nodes; i++) {
          const name = nodeName(i);
          yield {
            apiVersion: 'v1',
            kind: 'Node',
            metadata: {
              name,
              uid: uuid(rand),
              creationTimestamp: created,
              labels: {
                'kubernetes.io/hostname': name,
                'kubernetes.io/os': 'linux',
                'kubernetes.io/arch': 'amd64',
              },
              annotations: {
                'flannel.alpha.coreos.com/backend-data': JSON.stringify({ VNI: 1, VtepMAC: macs[i] }),
                'flannel.alpha.coreos.com/backend-type': 'vxlan',
                'flannel.alpha.coreos.com/kube-subnet-manager': 'true',
                'flannel.alpha.coreos.com/public-ip': nodeIP(i),
              },
            },
            spec: { podCIDR: podCIDR(i), podCIDRs: [podCIDR(i)] },
            status: {
              addresses: [
                { type: 'InternalIP', address: nodeIP(i) },
                { type: 'Hostname', address: name },
              ],
              conditions: [
                { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory' },
                { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure' },
                { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID' },
                {
                  type: 'Ready',
                  status: 'True',
                  reason: 'KubeletReady',
                  message: 'kubelet is posting ready status',
                },
              ],
              nodeInfo: {
                kubeletVersion: 'v1.30.5',
                containerRuntimeVersion: 'containerd://1.6.20',
                kernelVersion: '6.1.0-26-amd64',
                osImage: 'Debian GNU/Linux 12 (bookworm)',
              },
            },
          };
        }
      })(),
    ),
  );
  const running = (name: string, image: string) => ({
    name,
    image,
    ready: true,
    restartCount: 0,
    started: true,
    state: { running: { startedAt: '2026-10-13T21:58:49Z' } },
  });
  await put(
    CLUSTER_FILES.pods,
    list(
      'PodList',
      (function* () {
        for (let i = 0; i < p.nodes; i++) {
          const name = `kube-flannel-ds-${String(i).padStart(5, '0')}`;
          yield {
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: {
              name,
              namespace: 'kube-flannel',
              uid: uuid(rand),
              creationTimestamp: created,
              labels: { app: 'flannel', tier: 'node' },
              ownerReferences: [
                { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'kube-flannel-ds', controller: true },
              ],
            },
            spec: {
              nodeName: nodeName(i),
              hostNetwork: true,
              containers: [
                {
                  name: 'kube-flannel',
                  image: 'docker.io/flannel/flannel:v0.25.6',
                  command: ['/opt/bin/flanneld'],
                  args: ['--ip-masq', '--kube-subnet-mgr'],
                },
              ],
            },
            status: {
              phase: 'Running',
              hostIP: nodeIP(i),
              podIP: nodeIP(i),
              conditions: [{ type: 'Ready', status: 'True' }],
              containerStatuses: [running('kube-flannel', 'docker.io/flannel/flannel:v0.25.6')],
            },
          };
        }
        for (let i = 0; i < p.nodes; i++) {
          const name = `kube-proxy-${String(i).padStart(5, '0')}`;
          yield {
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: {
              name,
              namespace: 'kube-system',
              uid: uuid(rand),
              creationTimestamp: created,
              labels: { 'k8s-app': 'kube-proxy' },
              ownerReferences: [
                { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'kube-proxy', controller: true },
              ],
            },
            spec: {
              nodeName: nodeName(i),
              hostNetwork: true,
              containers: [
                {
                  name: 'kube-proxy',
                  image: 'registry.k8s.io/kube-proxy:v1.30.5',
                  command: ['/usr/local/bin/kube-proxy', '--config=/var/lib/kube-proxy/config.conf'],
                },
              ],
            },
            status: {
              phase: 'Running',
              hostIP: nodeIP(i),
              podIP: nodeIP(i),
              conditions: [{ type: 'Ready', status: 'True' }],
              containerStatuses: [running('kube-proxy', 'registry.k8s.io/kube-proxy:v1.30.5')],
            },
          };
        }
        for (const [c, node] of COREDNS.entries()) {
          yield {
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: {
              name: `coredns-76f75df574-${c}x2p`,
              namespace: 'kube-system',
              uid: uuid(rand),
              creationTimestamp: created,
              labels: { 'k8s-app': 'kube-dns', 'pod-template-hash': '76f75df574' },
              ownerReferences: [
                { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'coredns-76f75df574', controller: true },
              ],
            },
            spec: {
              nodeName: nodeName(node),
              containers: [
                {
                  name: 'coredns',
                  image: 'registry.k8s.io/coredns/coredns:v1.11.3',
                  args: ['-conf', '/etc/coredns/Corefile'],
                  ports: [
                    { name: 'dns', containerPort: 53, protocol: 'UDP' },
                    { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' },
                  ],
                },
              ],
            },
            status: {
              phase: 'Running',
              hostIP: nodeIP(node),
              podIP: `${subnetOct(node)}.254`,
              podIPs: [{ ip: `${subnetOct(node)}.254` }],
              conditions: [
                { type: 'Ready', status: 'True' },
                { type: 'ContainersReady', status: 'True' },
              ],
              containerStatuses: [running('coredns', 'registry.k8s.io/coredns/coredns:v1.11.3')],
            },
          };
        }
        for (let k = 0; k < p.pods; k++) {
          const svc = Math.floor(k / podsPerSvc) % Math.max(1, p.services);
          const ns = nsOfSvc(svc);
          const node = k % p.nodes;
          yield {
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: {
              name: `app-${svc}-${k.toString(36)}`,
              namespace: ns,
              uid: uuid(rand),
              creationTimestamp: created,
              labels: { app: `svc-${svc}`, tier: k % 3 === 0 ? 'web' : 'api' },
              ownerReferences: [
                {
                  apiVersion: 'apps/v1',
                  kind: 'ReplicaSet',
                  name: `app-${svc}-7d4b8c8f9d`,
                  controller: true,
                },
              ],
            },
            spec: {
              nodeName: nodeName(node),
              containers: [
                {
                  name: 'app',
                  image: 'docker.io/library/busybox:1.36.1',
                  ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
                },
              ],
            },
            status: {
              phase: 'Running',
              hostIP: nodeIP(node),
              podIP: podIP(k),
              podIPs: [{ ip: podIP(k) }],
              conditions: [
                { type: 'Initialized', status: 'True' },
                { type: 'Ready', status: 'True' },
                { type: 'ContainersReady', status: 'True' },
                { type: 'PodScheduled', status: 'True' },
              ],
              containerStatuses: [running('app', 'docker.io/library/busybox:1.36.1')],
            },
          };
        }
      })(),
    ),
  );
  await put(
    CLUSTER_FILES.services,
    list(
      'ServiceList',
      (function* () {
        yield {
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 'kube-dns', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } },
          spec: {
            type: 'ClusterIP',
            clusterIP: '10.96.0.10',
            clusterIPs: ['10.96.0.10'],
            selector: { 'k8s-app': 'kube-dns' },
            ports: [
              { name: 'dns', protocol: 'UDP', port: 53, targetPort: 53 },
              { name: 'dns-tcp', protocol: 'TCP', port: 53, targetPort: 53 },
            ],
          },
        };
        for (let s = 0; s < p.services; s++) {
          yield {
            apiVersion: 'v1',
            kind: 'Service',
            metadata: {
              name: `svc-${s}`,
              namespace: nsOfSvc(s),
              uid: uuid(rand),
              creationTimestamp: created,
            },
            spec: {
              type: 'ClusterIP',
              clusterIP: svcIP(s + 100),
              clusterIPs: [svcIP(s + 100)],
              selector: { app: `svc-${s}` },
              ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 8080 }],
            },
          };
        }
      })(),
    ),
  );
  await put(
    CLUSTER_FILES.endpointSlices,
    list(
      'EndpointSliceList',
      (function* () {
        yield {
          apiVersion: 'discovery.k8s.io/v1',
          kind: 'EndpointSlice',
          metadata: {
            name: 'kube-dns-7xk4q',
            namespace: 'kube-system',
            labels: {
              'kubernetes.io/service-name': 'kube-dns',
              'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
            },
          },
          addressType: 'IPv4',
          endpoints: COREDNS.map((node, c) => ({
            addresses: [`${subnetOct(node)}.254`],
            conditions: { ready: true, serving: true, terminating: false },
            nodeName: nodeName(node),
            targetRef: { kind: 'Pod', name: `coredns-76f75df574-${c}x2p`, namespace: 'kube-system' },
          })),
          ports: [
            { name: 'dns', port: 53, protocol: 'UDP' },
            { name: 'dns-tcp', port: 53, protocol: 'TCP' },
          ],
        };
        for (let s = 0; s < p.services; s++) {
          const endpoints = [];
          for (let e = 0; e < podsPerSvc; e++) {
            const k = s * podsPerSvc + e;
            if (k >= p.pods) break;
            endpoints.push({
              addresses: [podIP(k)],
              conditions: { ready: true, serving: true, terminating: false },
              nodeName: nodeName(k % p.nodes),
              targetRef: { kind: 'Pod', name: `app-${s}-${k.toString(36)}`, namespace: nsOfSvc(s) },
            });
          }
          yield {
            apiVersion: 'discovery.k8s.io/v1',
            kind: 'EndpointSlice',
            metadata: {
              name: `svc-${s}-abcde`,
              namespace: nsOfSvc(s),
              labels: {
                'kubernetes.io/service-name': `svc-${s}`,
                'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
              },
            },
            addressType: 'IPv4',
            endpoints,
            ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
          };
        }
      })(),
    ),
  );
  await put(
    CLUSTER_FILES.networkPolicies,
    list(
      'NetworkPolicyList',
      (function* () {
        for (let n = 0; n < p.policies; n++) {
          const ns = nsName(n % p.namespaces);
          // A Service of the policy's own namespace, so its selector matches real pods.
          const perNs = Math.max(1, Math.floor(p.services / p.namespaces));
          const svc = Math.min(
            p.services - 1,
            (n % p.namespaces) + p.namespaces * Math.floor(rand() * perNs),
          );
          // Each namespace gets the kinds in turn, so every egress-isolated namespace also allows DNS.
          const kind = Math.floor(n / p.namespaces) % 4;
          const spec =
            kind === 0
              ? { podSelector: {}, policyTypes: ['Ingress'] }
              : kind === 1
                ? {
                    podSelector: {},
                    policyTypes: ['Egress'],
                    egress: [
                      {
                        to: [
                          {
                            namespaceSelector: {
                              matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' },
                            },
                            podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
                          },
                        ],
                        ports: [
                          { protocol: 'UDP', port: 53 },
                          { protocol: 'TCP', port: 53 },
                        ],
                      },
                    ],
                  }
                : kind === 2
                  ? {
                      podSelector: { matchLabels: { app: `svc-${svc}` } },
                      policyTypes: ['Ingress'],
                      ingress: [
                        {
                          from: [{ podSelector: { matchLabels: { tier: 'web' } } }],
                          ports: [{ protocol: 'TCP', port: 8080 }],
                        },
                      ],
                    }
                  : {
                      podSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['api'] }] },
                      policyTypes: ['Egress'],
                      egress: [
                        {
                          to: [{ ipBlock: { cidr: '203.0.113.0/24' } }],
                          ports: [{ protocol: 'TCP', port: 443 }],
                        },
                      ],
                    };
          yield {
            apiVersion: 'networking.k8s.io/v1',
            kind: 'NetworkPolicy',
            metadata: { name: `policy-${n}`, namespace: ns, uid: uuid(rand), creationTimestamp: created },
            spec,
          };
        }
      })(),
    ),
  );
  await put(
    CLUSTER_FILES.daemonSets,
    list('DaemonSetList', [
      {
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        metadata: {
          name: 'kube-flannel-ds',
          namespace: 'kube-flannel',
          labels: { app: 'flannel', 'k8s-app': 'flannel', tier: 'node' },
        },
        spec: {
          selector: { matchLabels: { app: 'flannel' } },
          template: {
            metadata: { labels: { app: 'flannel', tier: 'node' } },
            spec: {
              containers: [
                {
                  name: 'kube-flannel',
                  image: 'docker.io/flannel/flannel:v0.25.6',
                  args: ['--ip-masq', '--kube-subnet-mgr'],
                },
              ],
            },
          },
        },
        status: {
          desiredNumberScheduled: p.nodes,
          currentNumberScheduled: p.nodes,
          numberReady: p.nodes,
          numberAvailable: p.nodes,
        },
      },
      {
        apiVersion: 'apps/v1',
        kind: 'DaemonSet',
        metadata: { name: 'kube-proxy', namespace: 'kube-system', labels: { 'k8s-app': 'kube-proxy' } },
        spec: {
          selector: { matchLabels: { 'k8s-app': 'kube-proxy' } },
          template: {
            metadata: { labels: { 'k8s-app': 'kube-proxy' } },
            spec: { containers: [{ name: 'kube-proxy', image: 'registry.k8s.io/kube-proxy:v1.30.5' }] },
          },
        },
        status: {
          desiredNumberScheduled: p.nodes,
          currentNumberScheduled: p.nodes,
          numberReady: p.nodes,
          numberAvailable: p.nodes,
        },
      },
    ]),
  );
  await put(
    CLUSTER_FILES.deployments,
    list('DeploymentList', [
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'coredns', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } },
        spec: { replicas: COREDNS.length, selector: { matchLabels: { 'k8s-app': 'kube-dns' } } },
        status: {
          replicas: COREDNS.length,
          readyReplicas: COREDNS.length,
          availableReplicas: COREDNS.length,
        },
      },
    ]),
  );
  await put(
    CLUSTER_FILES.configMaps,
    list('ConfigMapList', [
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'kube-flannel-cfg', namespace: 'kube-flannel' },
        data: {
          'cni-conf.json': CONFLIST,
          'net-conf.json': `{\n  "Network": "${CLUSTER_CIDR}",\n  "Backend": {\n    "Type": "vxlan"\n  }\n}\n`,
        },
      },
    ]),
  );
  await put(CLUSTER_FILES.events, list('EventList', []));

  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    version: BUNDLE_VERSION,
    createdAt: '2026-11-22T00:00:00.000Z',
    netdoctorVersion: NETDOCTOR_VERSION,
    source: 'synthetic',
    description: `synthetic: ${JSON.stringify(p)}`,
    nodes: Array.from({ length: p.nodes }, (_, i) => nodeName(i)),
    files: files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
    gaps: [],
  };
  await writeFile(join(dir, MANIFEST), `${JSON.stringify(manifest)}\n`);
  await writeFile(join(base, 'complete'), `${JSON.stringify(p)}\n`);
  log(`generated ${dir} in ${Math.round(performance.now() - t0)} ms`);
  return dir;
}
