/**
 * Builds a flannel-like node inside a network namespace (cni0 bridge with the node's pod
 * gateway, a pod veth enslaved to it, an underlay with a route to the peer's pod subnet, a
 * neighbour, a static FDB entry, flannel's MASQUERADE rule) and captures the real command
 * output the bundle layout stores. Namespaces are named `ndt-bundle-*` and only ever hold
 * addresses of their own; nothing is sent anywhere.
 */
import { execFileSync } from 'node:child_process';
import type { NodeFileKey } from '../../src/collect/bundle/layout.ts';

const PREFIX = 'ndt-bundle-';

function run(argv: readonly string[]): string {
  const [file, ...args] = argv;
  if (file === undefined) throw new Error('empty command');
  try {
    return execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${argv.join(' ')} failed: ${(e.stderr ?? '').trim() || e.message}`, { cause: err });
  }
}

/** Unique namespace name for this process. */
export function bundleNetnsName(tag: string): string {
  return `${PREFIX}${tag}-${process.pid}`;
}

/** Deletes a namespace this suite created; never throws (for after() hooks). */
export function deleteNetns(name: string): void {
  if (!name.startsWith(PREFIX)) return;
  try {
    run(['ip', 'netns', 'del', name]);
  } catch {
    // Never created or already gone.
  }
}

/** The node: index 1 or 2 picks its addresses (pod subnet 10.244.<i-1>.0/24, underlay .1<i>). */
export function buildNode(ns: string, index: 1 | 2): void {
  const own = index - 1;
  const peer = index === 1 ? 2 : 1;
  const ip = (...a: string[]): string => run(['ip', '-n', ns, ...a]);
  run(['ip', 'netns', 'add', ns]);
  ip('link', 'set', 'lo', 'up');
  // The underlay: a veth whose other end stays in the namespace, so the link has carrier.
  ip('link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'underlay0');
  ip('link', 'set', 'eth0', 'address', `52:54:00:12:34:5${index}`);
  ip('addr', 'add', `192.168.56.1${index}/24`, 'dev', 'eth0');
  ip('link', 'set', 'underlay0', 'up');
  ip('link', 'set', 'eth0', 'up');
  ip('link', 'add', 'cni0', 'type', 'bridge');
  ip('addr', 'add', `10.244.${own}.1/24`, 'dev', 'cni0');
  ip('link', 'set', 'cni0', 'up');
  ip('link', 'add', 'veth3f2a1b0c', 'type', 'veth', 'peer', 'name', 'pod-eth0');
  ip('link', 'set', 'veth3f2a1b0c', 'master', 'cni0');
  ip('link', 'set', 'veth3f2a1b0c', 'up');
  ip('link', 'set', 'pod-eth0', 'up');
  ip('route', 'add', `10.244.${peer - 1}.0/24`, 'via', `192.168.56.1${peer}`, 'dev', 'eth0');
  ip(
    'neigh',
    'add',
    `192.168.56.1${peer}`,
    'lladdr',
    `52:54:00:12:34:5${peer}`,
    'dev',
    'eth0',
    'nud',
    'permanent',
  );
  run([
    'bridge',
    '-n',
    ns,
    'fdb',
    'add',
    `0a:58:0a:f4:0${own}:07`,
    'dev',
    'veth3f2a1b0c',
    'master',
    'static',
  ]);
  run([
    'ip',
    'netns',
    'exec',
    ns,
    'iptables-nft',
    '-t',
    'nat',
    '-A',
    'POSTROUTING',
    '-s',
    '10.244.0.0/16',
    '!',
    '-d',
    '224.0.0.0/4',
    '-m',
    'comment',
    '--comment',
    'flanneld masq',
    '-j',
    'MASQUERADE',
  ]);
}

/** The raw files the bundle layout stores for a node, captured from the namespace. */
export function captureNodeFiles(ns: string): Partial<Record<NodeFileKey, string>> {
  const inNs = (...argv: string[]): string => run(['ip', 'netns', 'exec', ns, ...argv]);
  return {
    links: run(['ip', '-n', ns, '-d', '-j', 'addr', 'show']),
    routes: run(['ip', '-n', ns, '-j', 'route', 'show', 'table', 'all']),
    neighbors: run(['ip', '-n', ns, '-j', 'neigh', 'show']),
    fdb: run(['bridge', '-n', ns, '-j', 'fdb', 'show']),
    iptablesNft: inNs('iptables-nft-save'),
    sysctls: inNs('sysctl', 'net.ipv4.ip_forward'),
  };
}
