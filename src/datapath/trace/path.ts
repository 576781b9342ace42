/**
 * The order of hops a packet meets: out of the source pod, kube-proxy's Service DNAT, the source
 * node's routing and filter, then either delivery on the same node, an exit from the cluster, or
 * the crossing to the peer node (VXLAN or direct routing) and delivery there. Each hop's checks
 * live in a file named after its kind; this file decides which hop comes next, and records the
 * one hop that has nothing to check: a packet leaving the cluster.
 */
import type { Link } from '../../core/datapath-types.ts';
import { cidrContains } from '../../core/net/cidr.ts';
import {
  type NodeFacts,
  nodeOwningPodIp,
  nodeWithUnderlayIp,
  type ResolvedEndpoint,
} from '../trace-cluster.ts';
import { deliveredHop, podKeyOf } from './delivered.ts';
import { egressNatHop } from './egress-nat.ts';
import { filterHop, inputHop } from './filter.ts';
import { routeHop } from './node-route.ts';
import { peerHop } from './peer-node.ts';
import { serviceHop } from './service-dnat.ts';
import { sourceHop } from './source-pod.ts';
import { underlayHop } from './underlay.ts';
import { bridgeHop, findPodBridge, unknownHop } from './veth-bridge.ts';
import { vxlanHops } from './vxlan-neighbour-fdb.ts';
import type { Walk } from './walk.ts';

/** Walks the packet from `from` to `to`, recording hops on `w` until one breaks or it arrives. */
export function followPath(w: Walk, from: ResolvedEndpoint, to: ResolvedEndpoint): void {
  // 1. Where the packet starts.
  w.src = from.ip;
  const srcName = from.node;
  if (!sourceHop(w, from)) return;
  if (!srcName) return;
  const src = w.view.nodes.get(srcName) ?? { name: srcName };
  const dp = w.snapshot.nodes[srcName];
  if (!dp) {
    w.add(unknownHop(srcName, `no datapath was collected from ${srcName}; see the bundle's gaps`));
    return;
  }

  // 2. Out of the pod: veth into the node's bridge.
  let bridge: Link | undefined;
  if (!from.hostNetwork) {
    const b = bridgeHop(w, src, dp);
    if (b === false) return;
    bridge = b;
  }

  // 3. Service: kube-proxy's DNAT picks an endpoint.
  w.dst = to.ip;
  let dstNode: NodeFacts | undefined = to.node ? (w.view.nodes.get(to.node) ?? { name: to.node }) : undefined;
  let dstPod = to.pod;
  let dstHostNetwork = to.hostNetwork;
  if (to.service) {
    const ep = serviceHop(w, src, dp, to);
    if (!ep) return;
    w.dst = ep.ip;
    w.port = ep.port ?? w.port;
    w.dnat = true;
    dstPod = w.view.podByIp.get(ep.ip);
    const owner = dstPod?.spec.nodeName ?? nodeOwningPodIp(w.view, ep.ip)?.name;
    dstNode = owner ? (w.view.nodes.get(owner) ?? { name: owner }) : undefined;
    dstHostNetwork = !dstPod && nodeWithUnderlayIp(w.view, ep.ip) !== undefined;
  }
  w.resolvedTo = {
    ip: w.dst,
    ...(dstNode ? { node: dstNode.name } : {}),
    ...(dstPod ? { pod: podKeyOf(dstPod) } : {}),
  };

  // 4a. Same node, same bridge, no Service: switched by cni0, never routed.
  if (
    !from.hostNetwork &&
    !to.service &&
    dstNode?.name === src.name &&
    bridge?.addrs.some((a) => a.family === 'inet' && cidrContains(`${a.local}/${a.prefixlen}`, w.dst))
  ) {
    if (dp.sysctls?.['net.bridge.bridge-nf-call-iptables'] === '1') {
      // br_netfilter hands bridged frames to iptables FORWARD as well.
      if (!filterHop(w, src.name, dp, 'FORWARD', from.ip, bridge.ifname, bridge.ifname)) return;
    }
    deliveredHop(w, src.name, dstPod, dstHostNetwork);
    return;
  }

  if (dstHostNetwork && dstNode?.name === src.name) {
    if (!from.hostNetwork && !inputHop(w, src.name, dp, from.ip, bridge?.ifname)) return;
    deliveredHop(w, src.name, dstPod, true);
    return;
  }

  // 4b. Routed on the source node.
  const route = routeHop(w, src, dp, dstNode, bridge, from.hostNetwork ? undefined : bridge?.ifname);
  if (!route) return;
  const inIface = from.hostNetwork ? undefined : bridge?.ifname;
  if (!filterHop(w, src.name, dp, from.hostNetwork ? 'OUTPUT' : 'FORWARD', from.ip, inIface, route.dev))
    return;

  if (!dstNode) {
    // Not a pod or node address: the path leaves the cluster here, and a pod's address must
    // be masqueraded on the way out, or the answer has no way back.
    if (!from.hostNetwork && !w.reply() && !egressNatHop(w, src.name, dp, from.ip, route.dev)) return;
    w.add({
      kind: 'delivered',
      status: 'ok',
      node: src.name,
      ip: w.dst,
      ...(w.port !== undefined ? { port: w.port } : {}),
      summary: `leaves ${src.name} via ${route.dev ?? route.gateway ?? route.dst} towards ${w.dst}; the rest of the path is outside the cluster`,
      evidence: [],
    });
    return;
  }
  if (dstNode.name === src.name) {
    deliveredHop(w, src.name, dstPod, dstHostNetwork);
    return;
  }

  // 5. Across nodes: overlay (VXLAN) or direct routing (host-gw).
  const overlay = dp.links?.find((l) => l.ifname === route.dev && l.kind === 'vxlan');
  let remote: string | undefined;
  if (overlay) {
    const r = vxlanHops(w, src, dp, overlay, route, dstNode);
    if (!r) return;
    remote = r;
  } else {
    remote = route.gateway ?? w.dst;
  }
  const under = underlayHop(w, src, dp, remote, overlay);
  if (!under) return;
  const peer = peerHop(w, remote, dstNode, overlay);
  if (!peer) return;
  const peerDp = w.snapshot.nodes[peer.name];
  if (!peerDp) return;
  if (dstHostNetwork) {
    if (!inputHop(w, peer.name, peerDp, from.ip, overlay?.ifname)) return;
    deliveredHop(w, peer.name, dstPod, true);
    return;
  }
  const peerBridge =
    peerDp.links?.find((l) => l.ifname === w.view.cni.datapath.bridge) ?? findPodBridge(peerDp, peer);
  const peerRoute = routeHop(w, peer, peerDp, peer, peerBridge, overlay?.ifname);
  if (!peerRoute) return;
  if (!filterHop(w, peer.name, peerDp, 'FORWARD', from.ip, overlay?.ifname, peerRoute.dev)) return;
  deliveredHop(w, peer.name, dstPod, false);
}
