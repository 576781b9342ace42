/**
 * Builds the mini datapath: an underlay bridge in ndx-lan, one namespace per node with eth0,
 * cni0, flannel.1 (VXLAN VNI 1, port 8472, nolearning), peer routes, neighbours and FDB entries
 * as flanneld programs them, kube-proxy and flannel iptables rules on the nft backend, pod
 * namespaces on veths, CoreDNS stand-ins (dnsmasq), HTTP servers (busybox httpd), and an
 * "outside" namespace that plays the internet. Everything lives in namespaces prefixed `ndx-`.
 */

import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { type PodPolicy, restoreInput, type ServiceEndpoints } from './iptables-rules.ts';
import { daemon, run, sh, tryRunSync } from './sh.ts';
import {
  CLUSTER_CIDR,
  EXTERNAL_NAME,
  IN_CLUSTER_NAME,
  KUBERNETES_SVC_IP,
  LAN_GATEWAY,
  LAN_NS,
  NET_PODS,
  type NetPodSpec,
  NODES,
  type NodeSpec,
  OUTSIDE_DNS,
  OUTSIDE_NS,
  OUTSIDE_WEB,
  type ServiceSpec,
} from './world.ts';

export const WWW_DIR = '/tmp/ndx-examples-www';
export const OVERLAY_MTU = 1450;

export function allNamespaces(): string[] {
  return [LAN_NS, OUTSIDE_NS, ...NODES.map((n) => n.ns), ...NET_PODS.map((p) => p.ns)];
}

/** Deletes every namespace this recorder creates (ignores ones that do not exist). */
export function teardown(): void {
  const existing = new Set(
    tryRunSync(null, ['ip', 'netns', 'list'])
      .stdout.split('\n')
      .map((l) => l.split(' ')[0] ?? ''),
  );
  for (const ns of allNamespaces().reverse()) {
    if (existing.has(ns)) tryRunSync(null, ['ip', 'netns', 'del', ns]);
  }
}

/** The VTEP MAC of each node's flannel.1, read back from the kernel. */
export type VtepMacs = Record<string, string>;

export interface BuildOptions {
  /** Endpoint IPs for each Service (ready pods matching its selector). */
  endpoints: ServiceEndpoints[];
  /** Pods whose egress a NetworkPolicy restricts, enforced by kube-router's rules. */
  policies: PodPolicy[];
}

/** The server process of each pod namespace (dnsmasq or httpd). */
export const podDaemons = new Map<string, ChildProcess>();

function node(ns: string, script: string): void {
  sh(ns, script);
}

function buildUnderlay(): void {
  run(null, ['ip', 'netns', 'add', LAN_NS]);
  node(LAN_NS, 'ip link set lo up; ip link add br0 type bridge; ip link set br0 up');
  run(null, ['ip', 'netns', 'add', OUTSIDE_NS]);
  run(null, [
    'ip',
    '-n',
    LAN_NS,
    'link',
    'add',
    'ndx-out',
    'type',
    'veth',
    'peer',
    'name',
    'eth0',
    'netns',
    OUTSIDE_NS,
  ]);
  node(LAN_NS, 'ip link set ndx-out master br0; ip link set ndx-out up');
  node(
    OUTSIDE_NS,
    `ip link set lo up
     ip addr add ${LAN_GATEWAY}/24 dev eth0; ip link set eth0 up
     ip addr add ${OUTSIDE_WEB}/32 dev lo; ip addr add ${OUTSIDE_DNS}/32 dev lo`,
  );
}

function buildNode(n: NodeSpec): void {
  run(null, ['ip', 'netns', 'add', n.ns]);
  run(null, [
    'ip',
    '-n',
    LAN_NS,
    'link',
    'add',
    n.lanPort,
    'type',
    'veth',
    'peer',
    'name',
    'eth0',
    'netns',
    n.ns,
  ]);
  node(LAN_NS, `ip link set ${n.lanPort} master br0; ip link set ${n.lanPort} up`);
  node(
    n.ns,
    `ip link set lo up
     ip addr add ${n.ip}/24 dev eth0; ip link set eth0 up
     ip route add default via ${LAN_GATEWAY} dev eth0
     sysctl -qw net.ipv4.ip_forward=1
     ip link add cni0 type bridge
     ip link set cni0 mtu ${OVERLAY_MTU}
     ip addr add ${n.gateway}/24 dev cni0
     ip link set cni0 up
     ip link add flannel.1 type vxlan id 1 local ${n.ip} dev eth0 dstport 8472 nolearning
     ip link set flannel.1 mtu ${OVERLAY_MTU}
     ip addr add ${n.vtepIP}/32 dev flannel.1
     ip link set flannel.1 up`,
  );
  // br_netfilter's per-namespace switch, as kubeadm's preflight requires; absent on kernels without it.
  tryRunSync(n.ns, ['sysctl', '-qw', 'net.bridge.bridge-nf-call-iptables=1']);
}

export function readVtepMacs(): VtepMacs {
  const macs: VtepMacs = {};
  for (const n of NODES) {
    const j = JSON.parse(run(n.ns, ['ip', '-j', 'link', 'show', 'flannel.1'])) as { address: string }[];
    macs[n.name] = j[0]!.address;
  }
  return macs;
}

/** What flanneld does on a subnet lease event for each peer: route, permanent neighbour, FDB. */
function programPeers(macs: VtepMacs): void {
  for (const n of NODES) {
    const lines: string[] = [];
    for (const p of NODES) {
      if (p.name === n.name) continue;
      lines.push(`ip neigh replace ${p.vtepIP} lladdr ${macs[p.name]} dev flannel.1 nud permanent`);
      lines.push(`bridge fdb append ${macs[p.name]} dev flannel.1 dst ${p.ip}`);
      lines.push(`ip route replace ${p.podCIDR} via ${p.vtepIP} dev flannel.1 onlink`);
    }
    node(n.ns, lines.join('\n'));
  }
}

function buildPod(p: NetPodSpec): void {
  const n = NODES.find((x) => x.name === p.node)!;
  run(null, ['ip', 'netns', 'add', p.ns]);
  run(null, [
    'ip',
    '-n',
    n.ns,
    'link',
    'add',
    p.hostVeth,
    'type',
    'veth',
    'peer',
    'name',
    'eth0',
    'netns',
    p.ns,
  ]);
  node(
    n.ns,
    `ip link set ${p.hostVeth} mtu ${OVERLAY_MTU}; ip link set ${p.hostVeth} master cni0; ip link set ${p.hostVeth} up`,
  );
  node(
    p.ns,
    `ip link set lo up
     ip link set eth0 mtu ${OVERLAY_MTU}
     ip addr add ${p.ip}/24 dev eth0
     ip link set eth0 up
     ip route add ${CLUSTER_CIDR} via ${n.gateway} dev eth0
     ip route add default via ${n.gateway} dev eth0`,
  );
}

function startServers(): void {
  mkdirSync(WWW_DIR, { recursive: true });
  writeFileSync(`${WWW_DIR}/index.html`, '<html><body>ok</body></html>\n');
  daemon(OUTSIDE_NS, ['busybox', 'httpd', '-f', '-p', `${OUTSIDE_WEB}:80`, '-h', WWW_DIR]);
  daemon(OUTSIDE_NS, [
    'dnsmasq',
    '-k',
    '--conf-file=/dev/null',
    '--no-resolv',
    '--no-hosts',
    '--bind-interfaces',
    `--listen-address=${OUTSIDE_DNS}`,
    '--pid-file=',
    '--user=root',
    '--group=root',
    `--host-record=${EXTERNAL_NAME},${OUTSIDE_WEB}`,
  ]);
  for (const p of NET_PODS) {
    if (p.role === 'coredns') {
      const d = daemon(p.ns, [
        'dnsmasq',
        '-k',
        '--conf-file=/dev/null',
        '--no-resolv',
        '--no-hosts',
        '--bind-interfaces',
        `--listen-address=${p.ip}`,
        '--pid-file=',
        '--user=root',
        '--group=root',
        '--local=/cluster.local/',
        `--host-record=${IN_CLUSTER_NAME},${KUBERNETES_SVC_IP}`,
        `--server=${OUTSIDE_DNS}`,
      ]);
      podDaemons.set(p.ns, d);
    } else if (p.httpPort !== undefined) {
      podDaemons.set(
        p.ns,
        daemon(p.ns, ['busybox', 'httpd', '-f', '-p', `${p.ip}:${p.httpPort}`, '-h', WWW_DIR]),
      );
    }
  }
}

/** Ready endpoints of each Service: pods whose labels match its selector. */
export function resolveEndpoints(list: ServiceSpec[], apiServerIP: string): ServiceEndpoints[] {
  return list.map((svc) => {
    if (svc.namespace === 'default' && svc.name === 'kubernetes') return { svc, ips: [apiServerIP] };
    const sel = Object.entries(svc.selector);
    const ips = NET_PODS.filter(
      (p) => p.namespace === svc.namespace && sel.length > 0 && sel.every(([k, v]) => p.labels[k] === v),
    ).map((p) => p.ip);
    return { svc, ips };
  });
}

export function buildTopology(opts: BuildOptions): VtepMacs {
  buildUnderlay();
  for (const n of NODES) buildNode(n);
  const macs = readVtepMacs();
  programPeers(macs);
  for (const p of NET_PODS) buildPod(p);
  for (const n of NODES) {
    run(
      n.ns,
      ['iptables-nft-restore'],
      restoreInput(
        n.podCIDR,
        opts.endpoints,
        opts.policies.filter((pp) => NET_PODS.find((x) => x.ip === pp.pod.ip)?.node === n.name),
      ),
    );
  }
  startServers();
  return macs;
}
