/**
 * The VXLAN forwarding state flannel programs for one peer, corrupted on one node: the FDB
 * entry (peer VTEP MAC → peer node address) deleted or pointing at the wrong node, or the
 * permanent neighbour entry (peer subnet gateway → peer VTEP MAC) deleted or wrong. flannel
 * writes these once per lease, so the damage stays until someone repairs it.
 */
import type { FaultContext } from '../../faults/fault.ts';
import type { LabNode } from '../../topology.ts';
import { podCidrOf, type Shape, subnetGateway, theNode, vtepMacOf } from '../shape.ts';

const DEV = 'flannel.1';
/** A MAC no VTEP has: locally administered, so it can never collide with a real one. */
const WRONG_MAC = '02:42:de:ad:be:ef';

interface PeerVtep {
  mac: string;
  gateway: string;
  peerIp: string;
}

function peerVtep(ctx: FaultContext): PeerVtep {
  return {
    mac: vtepMacOf(ctx, ctx.peer),
    gateway: subnetGateway(podCidrOf(ctx, ctx.peer)),
    peerIp: ctx.peer.ip,
  };
}

/** A node other than the broken one and its peer, for an entry that points at the wrong node. */
function thirdNode(ctx: FaultContext): LabNode {
  const other = ctx.topology.nodes.find((n) => n.name !== ctx.node.name && n.name !== ctx.peer.name);
  if (!other) throw new Error('a wrong-node FDB entry needs three nodes');
  return other;
}

const restoreFdb = (d: Record<string, string>) =>
  `bridge fdb del ${d['mac']} dev ${DEV} 2>/dev/null; bridge fdb append ${d['mac']} dev ${DEV} dst ${d['peerIp']} self permanent`;
const restoreNeigh = (d: Record<string, string>) =>
  `ip neigh replace ${d['gateway']} lladdr ${d['mac']} dev ${DEV} nud permanent`;

function fdbResidue(ctx: FaultContext, d: Record<string, string>): string[] {
  const lines = ctx
    .tryOnNode(ctx.node, `bridge fdb show dev ${DEV}`)
    .stdout.split('\n')
    .filter((l) => l.toLowerCase().startsWith(`${d['mac']} `));
  return lines.length === 1 && lines[0]?.includes(`dst ${d['peerIp']} `)
    ? []
    : [`${ctx.node.name}: FDB for ${d['mac']}: ${lines.join(' | ') || 'none'}`];
}

function neighResidue(ctx: FaultContext, d: Record<string, string>): string[] {
  const now = ctx.tryOnNode(ctx.node, `ip neigh show ${d['gateway']} dev ${DEV}`).stdout.trim().toLowerCase();
  return now.includes(`lladdr ${d['mac']}`)
    ? []
    : [`${ctx.node.name}: neighbour ${d['gateway']}: ${now || 'none'}`];
}

function overlayShape(
  variant: string,
  what: string,
  change: (ctx: FaultContext, v: PeerVtep) => string,
  kind: 'fdb' | 'neigh',
): Shape {
  return {
    id: `overlay/${variant}`,
    layer: 'overlay',
    category: 'overlay.fdb-missing',
    scope: 'node',
    subjects: theNode,
    summary: (node, peer) => `${what} on ${node.name} for ${peer.name}`,
    inject: async (ctx) => {
      const v = peerVtep(ctx);
      ctx.onNode(ctx.node, change(ctx, v));
      return { mac: v.mac, gateway: v.gateway, peerIp: v.peerIp };
    },
    heal: async (ctx, d) => {
      ctx.tryOnNode(ctx.node, kind === 'fdb' ? restoreFdb(d) : restoreNeigh(d));
    },
    residue: (ctx, d) => (kind === 'fdb' ? fdbResidue(ctx, d) : neighResidue(ctx, d)),
  };
}

export const OVERLAY_SHAPES: Shape[] = [
  overlayShape(
    'fdb-deleted',
    'the VXLAN FDB entry is deleted',
    (_c, v) => `bridge fdb del ${v.mac} dev ${DEV}`,
    'fdb',
  ),
  overlayShape(
    'fdb-wrong-node',
    'the VXLAN FDB entry points at the wrong node',
    (c, v) =>
      `bridge fdb del ${v.mac} dev ${DEV}; bridge fdb append ${v.mac} dev ${DEV} dst ${thirdNode(c).ip} self permanent`,
    'fdb',
  ),
  overlayShape(
    'neigh-deleted',
    'the permanent neighbour entry is deleted',
    (_c, v) => `ip neigh del ${v.gateway} dev ${DEV}`,
    'neigh',
  ),
  overlayShape(
    'neigh-wrong-mac',
    'the neighbour entry has a MAC no VTEP has',
    (_c, v) => `ip neigh replace ${v.gateway} lladdr ${WRONG_MAC} dev ${DEV} nud permanent`,
    'neigh',
  ),
];
