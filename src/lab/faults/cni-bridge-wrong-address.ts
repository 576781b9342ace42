/**
 * Seed 002: cni0 on a worker carries an address outside the node's pod subnet (left over from
 * an earlier subnet lease), so pods lose their gateway and new pods fail to be wired.
 */
import type { Fault } from './fault.ts';

const ADDRESS = "ip -4 -o addr show dev cni0 | awk '{print $4}'";

export const cniBridgeWrongAddress: Fault = {
  id: 'cni-bridge-wrong-address',
  summary: 're-address cni0 on a node with an address outside its pod subnet',
  expectedRootCause: 'cni.bridge-address-mismatch',
  scope: 'node',
  inject: async (ctx) => {
    const old = ctx.onNode(ctx.node, `${ADDRESS} | head -1`).trim();
    // A stale lease from another subnet of the cluster CIDR, as after a node re-registration.
    ctx.onNode(ctx.node, 'ip addr flush dev cni0 && ip addr add 10.244.250.1/24 dev cni0');
    return { old };
  },
  heal: async (ctx, data) => {
    ctx.onNode(ctx.node, `ip addr flush dev cni0 && ip addr add ${data['old']} dev cni0`);
  },
  residue: (ctx, data) => {
    const now = ctx.tryOnNode(ctx.node, ADDRESS).stdout.trim().split('\n').filter(Boolean);
    return now.length === 1 && now[0] === data['old']
      ? []
      : [`${ctx.node.name}: cni0 carries ${now.join(', ') || 'no address'}, was ${data['old']}`];
  },
};
