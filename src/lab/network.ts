/**
 * The lab's wires: the LAN switch (a bridge in its own namespace, also the gateway), one
 * namespace per node plugged into it, the machine's own leg for kubectl, and the "outside
 * world" namespace behind the gateway. The gateway does no NAT and has no route to pod
 * subnets, so pods reach the outside only through their node's MASQUERADE, as on a real LAN.
 */
import { run, tryRun } from './shell.ts';
import type { StateRecorder } from './state.ts';
import { type LabNode, NET } from './topology.ts';

function ipn(ns: string, ...args: string[]): void {
  run('ip', ['-n', ns, ...args]);
}

function sysctlIn(ns: string, key: string, value: string): void {
  run('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', `${key}=${value}`]);
}

function addNetns(rec: StateRecorder, ns: string): void {
  run('ip', ['netns', 'add', ns]);
  rec.update((s) => {
    if (!s.netns.includes(ns)) s.netns.push(ns);
  });
  ipn(ns, 'link', 'set', 'lo', 'up');
}

export function createUnderlay(rec: StateRecorder): void {
  const ns = NET.underlayNs;
  addNetns(rec, ns);
  ipn(ns, 'link', 'add', NET.bridge, 'type', 'bridge');
  ipn(ns, 'addr', 'add', `${NET.gateway}/${NET.underlayPrefix}`, 'dev', NET.bridge);
  ipn(ns, 'link', 'set', NET.bridge, 'up');
  sysctlIn(ns, 'net.ipv4.ip_forward', '1');
  // A switch does not filter: keep bridged frames out of this namespace's (empty) iptables.
  tryRun('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', 'net.bridge.bridge-nf-call-iptables=0']);

  // The machine's leg on the LAN, so kubectl and netdoctor reach the API server.
  run('ip', ['link', 'add', NET.hostLink, 'type', 'veth', 'peer', 'name', 'hostp', 'netns', ns]);
  rec.update((s) => s.hostLinks.push(NET.hostLink));
  ipn(ns, 'link', 'set', 'hostp', 'master', NET.bridge, 'up');
  run('ip', ['addr', 'add', `${NET.hostIp}/${NET.underlayPrefix}`, 'dev', NET.hostLink]);
  run('ip', ['link', 'set', NET.hostLink, 'up']);
}

export function createOutsideWorld(rec: StateRecorder): void {
  const ns = NET.outsideNs;
  addNetns(rec, ns);
  ipn(NET.underlayNs, 'link', 'add', 'ext0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
  ipn(NET.underlayNs, 'addr', 'add', `${NET.outsideGateway}/24`, 'dev', 'ext0');
  ipn(NET.underlayNs, 'link', 'set', 'ext0', 'up');
  ipn(ns, 'addr', 'add', `${NET.outsideDns}/24`, 'dev', 'eth0');
  ipn(ns, 'addr', 'add', `${NET.outsideWeb}/24`, 'dev', 'eth0');
  ipn(ns, 'link', 'set', 'eth0', 'up');
  ipn(ns, 'route', 'add', 'default', 'via', NET.outsideGateway);
}

export function createNodeNetwork(rec: StateRecorder, node: LabNode): void {
  addNetns(rec, node.netns);
  ipn(
    NET.underlayNs,
    'link',
    'add',
    node.switchPort,
    'type',
    'veth',
    'peer',
    'name',
    'eth0',
    'netns',
    node.netns,
  );
  ipn(NET.underlayNs, 'link', 'set', node.switchPort, 'master', NET.bridge, 'up');
  ipn(node.netns, 'addr', 'add', `${node.ip}/${NET.underlayPrefix}`, 'dev', 'eth0');
  ipn(node.netns, 'link', 'set', 'eth0', 'up');
  ipn(node.netns, 'route', 'add', 'default', 'via', NET.gateway);
  // What kubeadm's preflight asks of every node.
  sysctlIn(node.netns, 'net.ipv4.ip_forward', '1');
  sysctlIn(node.netns, 'net.bridge.bridge-nf-call-iptables', '1');
  sysctlIn(node.netns, 'net.bridge.bridge-nf-call-ip6tables', '1');
}

/** Names of namespaces present on the machine that carry the lab's prefix. */
export function labNetnsPresent(prefix: string): string[] {
  const out = tryRun('ip', ['netns', 'list']).stdout;
  return out
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n.startsWith(`${prefix}-`));
}
