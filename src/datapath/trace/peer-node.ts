/**
 * The peer-node hop: the node at the far end of the underlay must be the destination's node,
 * take the VXLAN packet in through its INPUT hooks, and decapsulate it with the VTEP its peers
 * were told about.
 */
import { CLUSTER_FILES, nodeFile } from '../../collect/bundle/layout.ts';
import type { Link } from '../../core/datapath-types.ts';
import { activeIptables } from '../active-iptables.ts';
import { chainPolicy } from '../iptables-chains.ts';
import { evaluateChain } from '../iptables-eval.ts';
import { type NodeFacts, nodeWithUnderlayIp } from '../trace-cluster.ts';
import { hookDrop } from './hook-drop.ts';
import type { Walk } from './walk.ts';

/** The node at the far end of the underlay; returns it, or undefined to stop. */
export function peerHop(
  w: Walk,
  remote: string,
  dstNode: NodeFacts,
  overlay: Link | undefined,
): NodeFacts | undefined {
  const peer = nodeWithUnderlayIp(w.view, remote);
  const base = { kind: 'peer-node' as const };
  if (!peer) {
    w.add({
      ...base,
      peer: remote,
      status: 'broken',
      misdirected: true,
      summary: `${remote} is no node of the cluster`,
      reason: `packets for ${dstNode.name} are sent to ${remote}, which is no node's address`,
      evidence: [
        {
          source: CLUSTER_FILES.nodes,
          observed: `no node with InternalIP ${remote}`,
          expected: `${dstNode.name} at ${dstNode.underlayIp ?? '?'}`,
        },
      ],
    });
    return undefined;
  }
  if (peer.name !== dstNode.name) {
    w.add({
      ...base,
      peer: peer.name,
      node: peer.name,
      status: 'broken',
      misdirected: true,
      summary: `packets for ${w.dst} reach ${peer.name}, not ${dstNode.name}`,
      reason: `packets for ${w.dst} are sent to ${peer.name} (${remote}), but ${w.dst} lives on ${dstNode.name}`,
      evidence: [
        { source: CLUSTER_FILES.nodes, observed: `${remote} is ${peer.name}`, expected: dstNode.name },
      ],
    });
    return undefined;
  }
  const dp = w.snapshot.nodes[peer.name];
  if (!dp) {
    w.add({
      ...base,
      peer: peer.name,
      node: peer.name,
      status: 'unknown',
      summary: `no datapath was collected from ${peer.name}`,
      reason: `no datapath was collected from ${peer.name}; the rest of the path cannot be checked`,
      evidence: [],
    });
    return peer;
  }
  if (overlay) {
    const source = nodeFile(peer.name, 'links');
    const vx = dp.links?.find((l) => l.kind === 'vxlan' && l.vxlan?.id === overlay.vxlan?.id);
    if (dp.links && !vx) {
      w.add({
        ...base,
        peer: peer.name,
        node: peer.name,
        status: 'broken',
        summary: `${peer.name} has no VXLAN device for VNI ${overlay.vxlan?.id}`,
        reason: `${peer.name} has no VXLAN device with VNI ${overlay.vxlan?.id ?? '?'}: it cannot decapsulate the packet`,
        evidence: [
          {
            source,
            observed: 'no vxlan device',
            expected: `${overlay.ifname} (vxlan id ${overlay.vxlan?.id})`,
          },
        ],
      });
      return undefined;
    }
    const active = activeIptables(dp);
    const filter = active?.dump.tables['filter'];
    const port = overlay.vxlan?.port;
    if (port !== undefined && peer.underlayIp) {
      const pkt = w.packet(
        dp,
        overlay.vxlan?.local ?? '',
        peer.underlayIp,
        'udp',
        port,
        vx?.vxlan?.dev,
        undefined,
        false,
      );
      const blocked = hookDrop(w, peer.name, dp, 'INPUT', pkt, active);
      if (blocked) {
        w.add({
          ...base,
          peer: peer.name,
          node: peer.name,
          status: 'broken',
          vxlanBlocked: true,
          summary: `${peer.name} blocks VXLAN (udp/${port})`,
          reason: `${peer.name} ${blocked.where} ${blocked.verdict}s VXLAN udp/${port} from ${overlay.vxlan?.local ?? 'the source node'}: ${blocked.what}`,
          evidence: [blocked.evidence],
        });
        return undefined;
      }
    }
    if (active && filter && port !== undefined && peer.underlayIp) {
      const v = evaluateChain(
        filter,
        'INPUT',
        w.packet(
          dp,
          overlay.vxlan?.local ?? '',
          peer.underlayIp,
          'udp',
          port,
          vx?.vxlan?.dev,
          undefined,
          false,
        ),
      );
      if (v.verdict !== 'accept') {
        const what = v.rule ? `-A ${v.rule.chain} ${v.rule.spec}` : `policy ${chainPolicy(filter, 'INPUT')}`;
        w.add({
          ...base,
          peer: peer.name,
          node: peer.name,
          status: 'broken',
          vxlanBlocked: true,
          summary: `${peer.name} blocks VXLAN (udp/${port})`,
          reason: `${peer.name} filter INPUT ${v.verdict}s VXLAN udp/${port} from ${overlay.vxlan?.local ?? 'the source node'}: ${what}`,
          evidence: [{ source: nodeFile(peer.name, active.key), observed: what }],
        });
        return undefined;
      }
    }
    const macOk = vx?.address && dstNode.vtepMac ? vx.address.toLowerCase() === dstNode.vtepMac : undefined;
    if (macOk === false) {
      w.add({
        ...base,
        peer: peer.name,
        node: peer.name,
        status: 'broken',
        summary: `${peer.name}'s ${vx!.ifname} MAC differs from its ${w.view.cni.nodeRecordName}`,
        reason: `${peer.name}'s ${vx!.ifname} has MAC ${vx!.address}, but its node annotation (and so every peer's FDB) says ${dstNode.vtepMac}`,
        evidence: [
          { source, observed: `${vx!.ifname} link/ether ${vx!.address}`, expected: dstNode.vtepMac! },
        ],
      });
      return undefined;
    }
    w.add({
      ...base,
      peer: peer.name,
      node: peer.name,
      status: 'ok',
      summary: `${peer.name} (${remote}) decapsulates on ${vx?.ifname ?? overlay.ifname}`,
      evidence: vx
        ? [
            {
              source,
              observed: `${vx.ifname} vxlan id ${vx.vxlan?.id} dstport ${vx.vxlan?.port} link/ether ${vx.address}`,
            },
          ]
        : [],
    });
    return peer;
  }
  w.add({
    ...base,
    peer: peer.name,
    node: peer.name,
    status: 'ok',
    summary: `${peer.name} (${remote}) receives the packet`,
    evidence: [],
  });
  return peer;
}
