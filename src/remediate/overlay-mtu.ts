/**
 * The pieces of fix-overlay-mtu that are not the step itself: flannel's net-conf.json edit, and
 * the node scripts that measure the overlay path, set the MTU of flannel.1, cni0 and the running
 * pods' interfaces, and read it all back, with the parsers of what they print. Pure: each builds
 * a shell script or reads its output; node-exec.ts runs them.
 *
 * The scripts run in the node command pod (hostNetwork, hostPID, the toolbox image). busybox
 * ash runs its own `ip` and `ping` applets before anything on PATH, and neither can do what is
 * needed here (`ip -o` with link peers, `ping -M do`), so the real tools are found by path.
 */

import { CNI_BRIDGE } from '../cni/flannel.ts';
import { type Cidr4, formatIPv4 } from '../core/net/ipv4.ts';
import { shq } from './step-kit.ts';

/** IPv4 and ICMP headers: a ping payload of N bytes is an N + 28 byte packet. */
export const PING_OVERHEAD = 28;
/** Below this an overlay MTU is not a repair (IPv4's minimum reassembly size): refuse instead. */
export const MIN_OVERLAY_MTU = 576;
/** The payload every path must carry, or the peer is not reachable at all. */
const SMALL_PAYLOAD = 56;

const PRELUDE = [
  'IP=ip; for p in /usr/sbin/ip /sbin/ip /usr/bin/ip /bin/ip; do if [ -x "$p" ] && ! readlink -f "$p" | grep -q busybox; then IP="$p"; break; fi; done',
  'mtu_of() { "$IP" -o link show dev "$1" 2>/dev/null | sed -n \'s/.* mtu \\([0-9]*\\) .*/\\1/p\'; }',
];

const PING = [
  'PING=; for p in /bin/ping /usr/bin/ping /sbin/ping /usr/sbin/ping; do if [ -x "$p" ] && "$p" -M do -c 1 -W 1 127.0.0.1 >/dev/null 2>&1; then PING="$p"; break; fi; done',
  'if [ -z "$PING" ]; then echo "error no ping that sets don\'t-fragment (needs iputils ping -M do)"; exit 3; fi',
  // Three tries, any reply counts: one lost packet must not read as "too big".
  'dfping() { "$PING" -M do -c 3 -i 0.2 -W 1 -s "$2" "$1" >/dev/null 2>&1; }',
];

/**
 * flannel's net-conf.json with the VXLAN backend's underlay MTU set (flannel reads the key
 * case-insensitively, so any spelling already there is replaced, never duplicated). Undefined
 * when the text is not a JSON object with a Backend object.
 */
export function withBackendMtu(netConf: string, mtu: number | string): string | undefined {
  let conf: unknown;
  try {
    conf = JSON.parse(netConf);
  } catch {
    return undefined;
  }
  const backend = backendOf(conf);
  if (!backend) return undefined;
  for (const k of Object.keys(backend)) if (/^mtu$/i.test(k)) delete backend[k];
  backend['MTU'] = mtu;
  return `${JSON.stringify(conf)}${netConf.endsWith('\n') ? '\n' : ''}`;
}

/** The Backend object of a parsed net-conf.json (flannel matches keys case-insensitively). */
function backendOf(conf: unknown): Record<string, unknown> | undefined {
  if (typeof conf !== 'object' || conf === null || Array.isArray(conf)) return undefined;
  const key = Object.keys(conf).find((k) => /^backend$/i.test(k));
  const b = key === undefined ? undefined : (conf as Record<string, unknown>)[key];
  return typeof b === 'object' && b !== null && !Array.isArray(b)
    ? (b as Record<string, unknown>)
    : undefined;
}

/** A net-conf.json's VXLAN facts: the backend type, the device name (flannel.<VNI>), any MTU set. */
export function vxlanBackend(
  netConf: string,
): { type: string; device: string; mtu: number | undefined } | undefined {
  let conf: unknown;
  try {
    conf = JSON.parse(netConf);
  } catch {
    return undefined;
  }
  const b = backendOf(conf);
  // flannel's own default when Backend is absent.
  if (!b) return { type: 'udp', device: '', mtu: undefined };
  const get = (name: string): unknown => {
    const k = Object.keys(b).find((x) => x.toLowerCase() === name);
    return k === undefined ? undefined : b[k];
  };
  const vni = typeof get('vni') === 'number' ? (get('vni') as number) : 1;
  const mtu = get('mtu');
  return {
    type: String(get('type') ?? '').toLowerCase(),
    device: `flannel.${vni}`,
    mtu: typeof mtu === 'number' ? mtu : undefined,
  };
}

/** flannel.1's address on a node: the network address of its pod subnet (10.244.2.0). */
export function vtepAddress(podCidr: Cidr4): string {
  return formatIPv4(podCidr.base);
}

/**
 * Measures the overlay path from this node to each peer's VXLAN device address with
 * don't-fragment pings: a small one first (the peer must answer at all), then the largest the
 * device allows, then a binary search in between. Peers are measured in parallel. Prints
 * `device <mtu>`, then per peer `peer <ip> max <payload>` or `peer <ip> unreachable`.
 */
export function measureScript(device: string, peers: readonly string[]): string {
  return [
    ...PRELUDE,
    ...PING,
    `D=$(mtu_of ${shq(device)}); if [ -z "$D" ]; then echo "error no ${device} on this node"; exit 3; fi`,
    'echo "device $D"; HI=$((D - 28))',
    `m() { if ! dfping "$1" ${SMALL_PAYLOAD}; then echo "peer $1 unreachable"; return; fi; if dfping "$1" "$HI"; then echo "peer $1 max $HI"; return; fi; g=${SMALL_PAYLOAD}; b=$HI; while [ $((b - g)) -gt 1 ]; do x=$(((g + b) / 2)); if dfping "$1" "$x"; then g=$x; else b=$x; fi; done; echo "peer $1 max $g"; }`,
    `for p in ${peers.map(shq).join(' ')}; do m "$p" & done; wait`,
  ].join('\n');
}

export interface Measurement {
  deviceMtu: number | undefined;
  /** Largest don't-fragment ping payload that got an answer, per peer. */
  maxPayload: Record<string, number>;
  unreachable: string[];
  error: string | undefined;
}

export function parseMeasure(stdout: string): Measurement {
  const m: Measurement = { deviceMtu: undefined, maxPayload: {}, unreachable: [], error: undefined };
  for (const line of stdout.split('\n')) {
    const w = line.trim().split(/\s+/);
    if (w[0] === 'device' && w[1]) m.deviceMtu = Number(w[1]);
    else if (w[0] === 'peer' && w[1] && w[2] === 'max' && w[3]) m.maxPayload[w[1]] = Number(w[3]);
    else if (w[0] === 'peer' && w[1] && w[2] === 'unreachable') m.unreachable.push(w[1]);
    else if (w[0] === 'error') m.error = line.trim().slice(6);
  }
  return m;
}

/** A pod interface pair whose MTU a node script changed: the pod's eth0 and its host-side veth. */
export interface PodMtu {
  ip: string;
  podMtu: number;
  hostIf: string;
  hostMtu: number;
}

/** What a set script changed on one node (the old values, for the undo). */
export interface NodeMtuChange {
  device: { name: string; old: number } | undefined;
  bridge: { name: string; old: number } | undefined;
  pods: PodMtu[];
}

export type SetMode = { kind: 'set'; mtu: number | string } | { kind: 'restore'; change: NodeMtuChange };

const BRIDGE = CNI_BRIDGE;
/** The name this node's network namespace gets for the length of one script. */
const SELF_NAME = 'netdoctor-node';

/**
 * Sets the overlay MTU on one node, or puts back what such a run changed. `set`: the VXLAN
 * device, then every running pod of the node whose eth0 or host-side veth is larger (both ends
 * at once: a veth drops what its peer's MTU does not admit), then cni0 if it did not follow its
 * ports down by itself. `restore`: the recorded old values; pods that are gone are skipped.
 *
 * Pods are found through /proc (hostPID), one network namespace at a time. A namespace is this
 * node's pod only when its eth0's veth peer lives in this very namespace and is a port of cni0:
 * the node's own namespace is given a name (`ip netns attach`, inside this pod's mount
 * namespace only), so iproute2 prints `link-netns <that name>` for exactly those eth0s.
 * Addresses or interface indexes alone are not proof: other nodes' namespaces can share the PID
 * namespace (the lab) with the same pod subnet or the same ifindex pairs.
 *
 * Prints one line per change: `device <name> <old>`, `pod <ip> <old eth0> <host veth> <old
 * veth>`, `bridge <name> <old>`; `error ...` for what could not be done.
 */
export function setMtuScript(device: string, mode: SetMode): string {
  const dev = shq(device);
  const lines = [
    ...PRELUDE,
    // Named before anything changes: without the name no pod can be told apart.
    `N=${SELF_NAME}-$$`,
    `if ! "$IP" netns attach "$N" $$ >/dev/null 2>&1; then echo "error cannot name this node's network namespace (ip netns attach)"; exit 5; fi`,
    `trap '"$IP" netns delete "$N" >/dev/null 2>&1' EXIT`,
  ];
  if (mode.kind === 'set') {
    lines.push(
      `T=${mode.mtu}`,
      `O=$(mtu_of ${dev}); if [ -z "$O" ]; then echo "error no ${device} on this node"; exit 3; fi`,
      `if [ "$O" != "$T" ]; then "$IP" link set dev ${dev} mtu "$T" || exit 4; echo "device ${device} $O"; fi`,
    );
  } else {
    const d = mode.change.device;
    if (d) lines.push(`"$IP" link set dev ${shq(d.name)} mtu ${d.old} || exit 4`);
    // The recorded old values per pod address; a pod not listed is left alone.
    const table = mode.change.pods.map((p) => `${p.ip}) W=${p.podMtu}; H=${p.hostMtu} ;;`).join(' ');
    lines.push(`want() { case "$1" in ${table} *) return 1 ;; esac; }`);
  }
  const decide =
    mode.kind === 'set'
      ? 'W=$T; H=$T; if [ "$pm" -le "$T" ] && [ "$hm" -le "$T" ]; then continue; fi'
      : 'want "$a" || continue';
  lines.push(
    'SELF=$(readlink /proc/self/ns/net)',
    `ls -l /proc/[0-9]*/ns/net 2>/dev/null | awk -v self="$SELF" '{ t = $NF; if (t != self && !(t in s)) { s[t] = 1; print $(NF - 2) } }' | while read -r f; do`,
    '  l=$(nsenter --net="$f" "$IP" -o link show dev eth0 2>/dev/null)',
    '  case "$l" in *" link-netns $N"*) ;; *) continue ;; esac',
    `  i=$(echo "$l" | sed -n 's/^[0-9]*: *eth0@if\\([0-9]*\\):.*/\\1/p'); pm=$(echo "$l" | sed -n 's/.* mtu \\([0-9]*\\) .*/\\1/p')`,
    `  h=$("$IP" -o link show | awk -F': ' -v i="$i" '$1 == i { split($2, n, "@"); print n[1] }')`,
    `  if [ -z "$h" ] || ! "$IP" -o link show dev "$h" | grep -q ' master ${BRIDGE} '; then continue; fi`,
    `  a=$(nsenter --net="$f" "$IP" -o -4 addr show dev eth0 | awk '{ split($4, x, "/"); print x[1]; exit }')`,
    '  hm=$(mtu_of "$h")',
    `  ${decide}`,
    '  if nsenter --net="$f" "$IP" link set dev eth0 mtu "$W" && "$IP" link set dev "$h" mtu "$H"; then echo "pod $a $pm $h $hm"; else echo "error pod $a"; fi',
    'done',
  );
  if (mode.kind === 'set') {
    lines.push(
      `B=$(mtu_of ${BRIDGE}); if [ -n "$B" ] && [ "$B" -gt "$T" ]; then "$IP" link set dev ${BRIDGE} mtu "$T" && echo "bridge ${BRIDGE} $B"; fi`,
    );
  } else if (mode.change.bridge) {
    lines.push(`"$IP" link set dev ${shq(mode.change.bridge.name)} mtu ${mode.change.bridge.old}`);
  }
  return lines.join('\n');
}

/** What a `set` run changed, read from its output (also from a run that failed half-way). */
export function parseSet(stdout: string): NodeMtuChange & { errors: string[] } {
  const out: NodeMtuChange & { errors: string[] } = {
    device: undefined,
    bridge: undefined,
    pods: [],
    errors: [],
  };
  for (const line of stdout.split('\n')) {
    const w = line.trim().split(/\s+/);
    if (w[0] === 'device' && w[1] && w[2]) out.device = { name: w[1], old: Number(w[2]) };
    else if (w[0] === 'bridge' && w[1] && w[2]) out.bridge = { name: w[1], old: Number(w[2]) };
    else if (w[0] === 'pod' && w.length === 5)
      out.pods.push({ ip: w[1]!, podMtu: Number(w[2]), hostIf: w[3]!, hostMtu: Number(w[4]) });
    else if (w[0] === 'error') out.errors.push(line.trim().slice(6));
  }
  return out;
}

/**
 * Reads back one node: the device's and cni0's MTU, how many cni0 ports are larger than `mtu`,
 * the subnet.env that this node's flanneld wrote (through /proc/<pid>/root, since flanneld's
 * /run/flannel is the node's), and, for `peers`, whether a don't-fragment ping of `mtu` bytes
 * gets an answer. Prints `device`, `bridge`, `ports-above`, `env KEY=value` and `ping <ip> ok|fail`.
 */
export function checkScript(device: string, mtu: number, peers: readonly string[]): string {
  const lines = [
    ...PRELUDE,
    `echo "device $(mtu_of ${shq(device)})"`,
    `echo "bridge $(mtu_of ${BRIDGE})"`,
    `echo "ports-above $("$IP" -o link show master ${BRIDGE} 2>/dev/null | sed -n 's/.* mtu \\([0-9]*\\) .*/\\1/p' | awk -v t=${mtu} '$1 > t' | wc -l)"`,
    'SELF=$(readlink /proc/self/ns/net); R=',
    'for c in $(grep -l "^flanneld$" /proc/[0-9]*/comm 2>/dev/null); do d=$(dirname "$c"); if [ "$(readlink $d/ns/net)" = "$SELF" ] && [ -r "$d/root/run/flannel/subnet.env" ]; then R=$d/root; break; fi; done',
    'if [ -z "$R" ] && [ -r /proc/1/root/run/flannel/subnet.env ]; then R=/proc/1/root; fi',
    'if [ -n "$R" ]; then sed "s/^/env /" "$R/run/flannel/subnet.env"; echo; fi',
  ];
  if (peers.length > 0) {
    lines.push(
      ...PING,
      `for p in ${peers.map(shq).join(' ')}; do if dfping "$p" ${mtu - PING_OVERHEAD}; then echo "ping $p ok"; else echo "ping $p fail"; fi; done`,
    );
  }
  return lines.join('\n');
}

export interface NodeCheck {
  device: number | undefined;
  bridge: number | undefined;
  portsAbove: number | undefined;
  agentMtu: number | undefined;
  pings: Record<string, boolean>;
  error: string | undefined;
}

export function parseCheck(stdout: string): NodeCheck {
  const c: NodeCheck = {
    device: undefined,
    bridge: undefined,
    portsAbove: undefined,
    agentMtu: undefined,
    pings: {},
    error: undefined,
  };
  const num = (s: string | undefined) => (s && /^\d+$/.test(s) ? Number(s) : undefined);
  for (const line of stdout.split('\n')) {
    const w = line.trim().split(/\s+/);
    if (w[0] === 'device') c.device = num(w[1]);
    else if (w[0] === 'bridge') c.bridge = num(w[1]);
    else if (w[0] === 'ports-above') c.portsAbove = num(w[1]);
    else if (w[0] === 'env' && w[1]?.startsWith('FLANNEL_MTU=')) c.agentMtu = num(w[1].slice(12));
    else if (w[0] === 'ping' && w[1]) c.pings[w[1]] = w[2] === 'ok';
    else if (w[0] === 'error') c.error = line.trim().slice(6);
  }
  return c;
}
