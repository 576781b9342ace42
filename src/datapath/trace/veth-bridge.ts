/** The veth-bridge hop: out of the pod through its veth into the node's pod bridge. */
import { nodeFile } from '../../collect/bundle/layout.ts';
import type { Link, NodeDatapath } from '../../core/datapath-types.ts';
import type { Evidence } from '../../core/model.ts';
import { cidrContains } from '../../core/net/cidr.ts';
import type { NodeFacts } from '../trace-cluster.ts';
import type { TraceHop } from '../trace-types.ts';
import type { Walk } from './walk.ts';

/** The pod's veth on the node's bridge: the bridge, undefined when unknown, false to stop. */
export function bridgeHop(w: Walk, node: NodeFacts, dp: NodeDatapath): Link | undefined | false {
  const source = nodeFile(node.name, 'links');
  if (!dp.links) {
    w.add(unknownHop(node.name, `links were not collected from ${node.name}`));
    return undefined;
  }
  const cniBridge = w.view.cni.datapath.bridge;
  const bridge = dp.links.find((l) => l.ifname === cniBridge) ?? findPodBridge(dp, node);
  if (!bridge) {
    w.add({
      kind: 'veth-bridge',
      status: 'broken',
      node: node.name,
      summary: `${node.name} has no pod bridge`,
      reason: `${node.name} has no ${cniBridge ?? 'pod'} bridge: pods there have nowhere to send packets`,
      evidence: [
        {
          source,
          observed: `no ${cniBridge ?? 'pod bridge'} in ip link`,
          expected: `${cniBridge ?? 'a pod bridge'} (bridge)`,
        },
      ],
    });
    return false;
  }
  const inet = bridge.addrs.filter((a) => a.family === 'inet');
  const shown = inet.map((a) => `${a.local}/${a.prefixlen}`).join(', ') || 'no IPv4 address';
  const ports = dp.links.filter((l) => l.master === bridge.ifname).length;
  const ev: Evidence = {
    source,
    observed: `${bridge.ifname}: ${shown}, ${bridge.operstate}, mtu ${bridge.mtu}, ${ports} ports`,
  };
  if (node.podCidr && !inet.some((a) => cidrContains(node.podCidr!, a.local))) {
    w.add({
      kind: 'veth-bridge',
      status: 'broken',
      node: node.name,
      bridge: bridge.ifname,
      summary: `${bridge.ifname} on ${node.name} carries ${shown}`,
      reason: `${bridge.ifname} on ${node.name} carries ${shown}, outside the node's pod subnet ${node.podCidr}`,
      evidence: [{ ...ev, expected: `an address in ${node.podCidr}` }],
    });
    return false;
  }
  if (!bridge.flags.includes('UP')) {
    w.add({
      kind: 'veth-bridge',
      status: 'broken',
      node: node.name,
      bridge: bridge.ifname,
      summary: `${bridge.ifname} on ${node.name} is down`,
      reason: `${bridge.ifname} on ${node.name} is administratively down`,
      evidence: [{ ...ev, expected: 'UP' }],
    });
    return false;
  }
  w.add({
    kind: 'veth-bridge',
    status: 'ok',
    node: node.name,
    bridge: bridge.ifname,
    summary: `veth -> ${bridge.ifname} (${shown}) on ${node.name}`,
    evidence: [ev],
  });
  return bridge;
}

/** A bridge carrying an address in the node's pod subnet (CNIs that do not call it cni0). */
export function findPodBridge(dp: NodeDatapath, node: NodeFacts): Link | undefined {
  if (!node.podCidr) return undefined;
  return dp.links?.find(
    (l) => l.kind === 'bridge' && l.addrs.some((a) => cidrContains(node.podCidr!, a.local)),
  );
}

/**
 * A node whose datapath (or links) were not collected: it shows at the first node-level hop,
 * the bridge, since nothing after it can be judged.
 */
export function unknownHop(node: string, reason: string): TraceHop {
  return { kind: 'veth-bridge', status: 'unknown', node, summary: reason, reason, evidence: [] };
}
