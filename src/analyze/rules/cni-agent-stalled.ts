import { type CniAdapter, displayNames, OFFLINE_CHECKED } from '../../cni/index.ts';
import type { K8sPod } from '../../core/cluster-types.ts';
import type { NodeDatapath, Route } from '../../core/datapath-types.ts';
import type { Evidence, Finding } from '../../core/model.ts';
import { parseCidr4 } from '../../core/net/ipv4.ts';
import { causeFinding, nodeSubject } from '../finding.ts';
import { logSource, podHealth, podLogs, snapshotTime } from '../k8s.ts';
import { STEP } from '../remediation.ts';
import type { Rule } from '../rule.ts';
import type { SnapshotIndex } from '../snapshot-index.ts';
import { DEFAULT_CHECKED_CNI, overlayPeers, perAnalysis } from './support/datapath.ts';

/**
 * Lines that mean flannel's main loop really ended. Not among them: `Waiting for all goroutines
 * to exit`, which flannel's main.go logs on every healthy start just before it blocks on its
 * workers (seed 004 read it as a crash; the proof there was the missing routes).
 */
const EXIT_LINE = [/Exiting cleanly/, /\bshutdownHandler\b/, /^F\d{4} /, /level=fatal/, /^panic: /];

/** The last line showing the agent's main loop ended, if any. */
export function findExit(lines: readonly string[]): { at: number; line: string } | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    const l = lines[i] as string;
    if (EXIT_LINE.some((re) => re.test(l))) return { at: i, line: l };
  }
  return undefined;
}

/**
 * A route's destination in canonical form. Cached per route: on a large cluster each node lists
 * one route per peer, and nodes read from shared records hold the same route objects.
 */
const keyByRoute = new WeakMap<Route, string>();
function routeKey(r: Route): string {
  let k = keyByRoute.get(r);
  if (k === undefined) {
    k = parseCidr4(r.dst)?.text ?? r.dst;
    keyByRoute.set(r, k);
  }
  return k;
}

/** Each node's pod subnet as written and in canonical form, once per analysis. */
const peersByIndex = new WeakMap<SnapshotIndex, [string, string, string][]>();
function peerCidrs(index: SnapshotIndex): [string, string, string][] {
  let list = peersByIndex.get(index);
  if (!list) {
    list = [...index.podCidrByNode].map(([peer, cidr]) => [peer, cidr, parseCidr4(cidr)?.text ?? cidr]);
    peersByIndex.set(index, list);
  }
  return list;
}

/**
 * Peer pod subnets with no route, and peer VTEPs with no FDB entry, on this node. A peer whose
 * VTEP MAC (`vtepMacByNode`) has an entry counts as programmed even when the entry points
 * elsewhere: the agent did its job there, and the wrong destination is overlay-fdb-missing's.
 */
export function missingPeerState(
  node: string,
  dp: NodeDatapath,
  index: SnapshotIndex,
  vtepMacByNode: ReadonlyMap<string, string> = new Map(),
  overlay: RegExp = DEFAULT_CHECKED_CNI.datapath.overlayDevicePattern,
): { routes: string[] | undefined; fdb: string[] | undefined } {
  let routes: string[] | undefined;
  if (dp.routes) {
    const have = new Set(dp.routes.map(routeKey));
    routes = [];
    for (const [peer, cidr, key] of peerCidrs(index)) {
      if (peer === node) continue;
      if (!have.has(key)) routes.push(cidr);
    }
  }
  let fdb: string[] | undefined;
  const vxlan = dp.links?.some((l) => overlay.test(l.ifname)) ?? false;
  if (dp.fdb && vxlan) {
    const entries = dp.fdb.filter((e) => overlay.test(e.dev) && e.dst);
    const have = new Set(entries.map((e) => e.dst as string));
    const macs = new Set(entries.map((e) => e.mac.toLowerCase()));
    fdb = [];
    for (const [peer, ip] of index.internalIpByNode) {
      if (peer === node || have.has(ip)) continue;
      const mac = vtepMacByNode.get(peer);
      if (!mac || !macs.has(mac)) fdb.push(ip);
    }
  }
  return { routes, fdb };
}

type PeerState = ReturnType<typeof missingPeerState>;

/** Pod subnet (canonical) and InternalIP to node, once per analysis. */
const ownersByIndex = new WeakMap<
  SnapshotIndex,
  { byCidr: Map<string, string>; byIp: Map<string, string> }
>();
function owners(index: SnapshotIndex): { byCidr: Map<string, string>; byIp: Map<string, string> } {
  let o = ownersByIndex.get(index);
  if (!o) {
    o = { byCidr: new Map(), byIp: new Map() };
    for (const [peer, , key] of peerCidrs(index)) if (!o.byCidr.has(key)) o.byCidr.set(key, peer);
    for (const [peer, ip] of index.internalIpByNode) if (!o.byIp.has(ip)) o.byIp.set(ip, peer);
    ownersByIndex.set(index, o);
  }
  return o;
}

/** VTEP MAC to node, for the nodes the FDB check counts (those with an InternalIP). */
const macOwnersByMap = new WeakMap<ReadonlyMap<string, string>, Map<string, string>>();
function macOwners(vtepMacByNode: ReadonlyMap<string, string>, index: SnapshotIndex): Map<string, string> {
  let m = macOwnersByMap.get(vtepMacByNode);
  if (!m) {
    m = new Map();
    for (const [n, mac] of vtepMacByNode) if (index.internalIpByNode.has(n) && !m.has(mac)) m.set(mac, n);
    macOwnersByMap.set(vtepMacByNode, m);
  }
  return m;
}

/**
 * The node's peer state when it shows the agent programmed it: a route to some peer's pod subnet
 * and, where the node has an overlay FDB, an entry for some peer. The finish phase calls an
 * agent stalled only when it programmed no peer, so then the per-peer lists are never read, and
 * a 5,000-node cluster is spared 25 million lookups. Undefined: work them out.
 */
function programmedSomePeer(
  node: string,
  dp: NodeDatapath,
  index: SnapshotIndex,
  vtepMacByNode: ReadonlyMap<string, string>,
  overlay: RegExp,
): PeerState | undefined {
  if (!dp.routes) return undefined;
  const { byCidr, byIp } = owners(index);
  const peer = (owner: string | undefined) => owner !== undefined && owner !== node;
  if (!dp.routes.some((r) => peer(byCidr.get(routeKey(r))))) return undefined;
  const vxlan = dp.links?.some((l) => overlay.test(l.ifname)) ?? false;
  if (!dp.fdb || !vxlan) return { routes: [], fdb: undefined };
  const byMac = macOwners(vtepMacByNode, index);
  const some = dp.fdb.some(
    (e) => overlay.test(e.dev) && e.dst && (peer(byIp.get(e.dst)) || peer(byMac.get(e.mac.toLowerCase()))),
  );
  return some ? { routes: [], fdb: [] } : undefined;
}

/** Running, Ready agents found in the cluster phase, and what their nodes' datapaths showed. */
const agents = perAnalysis(() => ({
  byNode: new Map<string, { pod: K8sPod; log: Evidence | undefined; exited: boolean }>(),
  missing: new Map<string, PeerState>(),
  vtepMacByNode: new Map<string, string>(),
}));

/** The agent's adapter; the rule applies only where one was detected. */
function cni(index: SnapshotIndex): CniAdapter {
  return index.cniAdapter ?? DEFAULT_CHECKED_CNI;
}

function listOf(items: string[]): string {
  return `${items.slice(0, 10).join(', ')}${items.length > 10 ? ` and ${items.length - 10} more` : ''}`;
}

/**
 * Flannel's agent can stop doing its job and stay Running and Ready (seed 004): its node has
 * routes to none of its peers' pod subnets (or FDB entries for none of their VTEPs), and its
 * pods lose every other node. The datapath is the proof; the agent's log is shown beside it, and
 * an explicit exit line in it is enough on its own only when the node's datapath could not be
 * read. Some peers programmed and others not is a missing entry, not a stalled agent.
 */
export const cniAgentStalled: Rule = {
  id: 'cni-agent-stalled',
  layer: 'cni',
  needs: { cluster: ['daemonSets', 'pods', 'nodes'], node: ['routes', 'links'] },
  title: 'CNI agent running but stalled',
  why: 'A Running, Ready agent that has not programmed its node looks healthy while the node has no peer routes; DNS timeouts are the usual symptom.',
  appliesTo: ({ index }) =>
    index.cniAdapter?.datapath.checkedOffline
      ? { applies: true }
      : {
          applies: false,
          reason: `the peer-state check is ${displayNames(OFFLINE_CHECKED)}'s; this cluster runs ${index.cni}`,
        },
  /** Cluster phase: the agents that look healthy, with the tail of their logs. */
  run: (ctx) => {
    const { snapshot, index } = ctx;
    const now = snapshotTime(snapshot);
    const st = agents(ctx);
    // Each node's VTEP MAC, from the agent's annotations.
    for (const peer of overlayPeers(ctx).nodes.values())
      if (peer.vtepMac) st.vtepMacByNode.set(peer.name, peer.vtepMac);
    for (const pod of index.cniPods) {
      const node = pod.spec.nodeName;
      if (!node || pod.status.phase !== 'Running') continue;
      const h = podHealth(pod, now);
      if (h.state !== 'ok' && h.state !== 'flapping') continue;
      const container =
        pod.spec.containers.find((c) => cni(index).agent.container.test(c.name))?.name ??
        pod.spec.containers[0]?.name;
      const lines = podLogs(snapshot, pod, container ? { container } : {})
        .join('\n')
        .split('\n')
        .filter((l) => l.trim() !== '');
      const exit = findExit(lines);
      const at = exit?.at ?? lines.length - 1;
      const log: Evidence | undefined =
        lines.length === 0
          ? undefined
          : {
              source: logSource(pod, container),
              observed: lines.slice(Math.max(0, at - 3), at + 1).join('\n'),
              expected: exit
                ? 'the agent keeps watching subnet leases'
                : 'after start-up the agent programs a route, neighbour and FDB entry per peer lease',
            };
      st.byNode.set(node, { pod, log, exited: exit !== undefined });
    }
    return [];
  },
  /** Node phase: what the healthy-looking agent's node actually has for its peers. */
  runNode: (ctx, dp) => {
    const st = agents(ctx);
    if (st.byNode.has(dp.name)) {
      const overlay = cni(ctx.index).datapath.overlayDevicePattern;
      st.missing.set(
        dp.name,
        programmedSomePeer(dp.name, dp, ctx.index, st.vtepMacByNode, overlay) ??
          missingPeerState(dp.name, dp, ctx.index, st.vtepMacByNode, overlay),
      );
    }
    return [];
  },
  finish: (ctx) => {
    const { index } = ctx;
    const st = agents(ctx);
    const out: Finding[] = [];
    for (const [node, { pod, log, exited }] of st.byNode) {
      const missing = st.missing.get(node) ?? { routes: undefined, fdb: undefined };
      const peers = index.podCidrByNode.size - (index.podCidrByNode.has(node) ? 1 : 0);
      const noRoutes = missing.routes ?? [];
      const noFdb = missing.fdb ?? [];
      const fdbPeers = index.internalIpByNode.size - (index.internalIpByNode.has(node) ? 1 : 0);
      // A stalled agent has programmed none of its peers. A node that has some peer routes (or
      // FDB entries) and lacks others was programmed: one entry went missing afterwards, which
      // cni-routes-missing and overlay-fdb-missing name precisely; calling the agent stalled
      // would blame a component whose own state shows nothing wrong.
      const corroborated =
        (peers > 0 && noRoutes.length === peers) || (fdbPeers > 0 && noFdb.length === fdbPeers);
      const unknown = missing.routes === undefined && missing.fdb === undefined;
      if (!corroborated && !(exited && unknown)) continue;
      const evidence: Evidence[] = [];
      if (noRoutes.length > 0) {
        evidence.push({
          source: `nodes/${node}/ip-route.json`,
          observed: `no route to ${listOf(noRoutes)}`,
          expected: `a route via ${cni(ctx.index).datapath.overlayDevice} to each of ${peers} peer pod subnets`,
        });
      }
      if (noFdb.length > 0) {
        evidence.push({
          source: `nodes/${node}/bridge-fdb.json`,
          observed: `no ${cni(ctx.index).datapath.overlayDevice} FDB entry for ${listOf(noFdb)}`,
          expected: 'one FDB entry per peer VTEP',
        });
      }
      if (log) evidence.push(log);
      const summary = corroborated
        ? `${cni(ctx.index).displayName} on ${node} is Running and Ready but has not programmed its peers: ${node} lacks routes to ${noRoutes.length} of ${peers} peer pod subnets${noFdb.length > 0 ? ` and FDB entries for ${noFdb.length}` : ''}`
        : `${cni(ctx.index).displayName} on ${node} logged that its main loop ended while its pod stays Running; ${node}'s datapath was not collected`;
      out.push(
        causeFinding(
          cniAgentStalled,
          {
            subject: nodeSubject(node),
            severity: corroborated ? 'critical' : 'error',
            summary,
            evidence,
            nextCommands: [
              `kubectl -n ${pod.metadata.namespace ?? 'default'} logs ${pod.metadata.name} --tail=200`,
              `ip route show | grep -E "10\\.|${cni(ctx.index).id}"   # on ${node}`,
              `kubectl -n ${pod.metadata.namespace ?? 'default'} delete pod ${pod.metadata.name}`,
            ],
          },
          {
            category: 'cni.agent-stalled',
            confidence: corroborated ? 0.95 : 0.7,
            remediation: [STEP.restartCniAgent],
            // Without the node's datapath only the log says the agent stopped: a finding to
            // follow up, not a root cause.
            ...(corroborated ? {} : { basis: 'logs' as const }),
          },
        ),
      );
    }
    return out;
  },
};
