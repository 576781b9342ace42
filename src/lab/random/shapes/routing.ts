/**
 * Routes and policy routing on one node: a peer's pod subnet route deleted or turned into a
 * blackhole (a script that "cleaned up" routes), or an `ip rule` ahead of the main table that
 * sends pod traffic nowhere (a VPN or multi-homing set-up gone wrong).
 */
import type { FaultContext } from '../../faults/fault.ts';
import { podCidrOf, type Shape, theNode } from '../shape.ts';

/** The priority the rules go in at: ahead of `main` (32766), after `local` (0). */
const RULE_PRIORITY = 90;
/** A routing table of the fault's own. */
const FAULT_TABLE = 199;

/** Replaces the node's route to the peer's pods; heal puts the recorded route back. */
function routeShape(variant: string, change: (peerPods: string) => string, what: string): Shape {
  return {
    id: `routing/${variant}`,
    layer: 'cni',
    category: 'cni.routes-missing',
    scope: 'node',
    subjects: theNode,
    summary: (node, peer) => `${what} on ${node.name} for ${peer.name}'s pod subnet`,
    inject: async (ctx) => {
      const peerPods = podCidrOf(ctx, ctx.peer);
      const route = ctx.onNode(ctx.node, `ip route show ${peerPods}`).trim();
      if (!route) throw new Error(`${ctx.node.name} has no route to ${peerPods} to break`);
      ctx.onNode(ctx.node, change(peerPods));
      return { peerPods, route };
    },
    heal: async (ctx, data) => {
      ctx.tryOnNode(
        ctx.node,
        `ip route del ${data['peerPods']} 2>/dev/null; ip route replace ${data['route']}`,
      );
    },
    residue: (ctx, data) => {
      const now = ctx.tryOnNode(ctx.node, `ip route show ${data['peerPods']}`).stdout.trim();
      return now === data['route']?.trim()
        ? []
        : [`${ctx.node.name}: route to ${data['peerPods']} is "${now}"`];
    },
  };
}

/** Adds one `ip rule` (and, for a lookup, the table it points at). */
function ruleShape(
  variant: string,
  selector: (nodePods: string, peerPods: string) => string,
  action: 'lookup' | 'unreachable' | 'prohibit' | 'blackhole',
  what: string,
): Shape {
  const ruleOf = (data: Record<string, string>) => `${data['selector']} priority ${RULE_PRIORITY}`;
  return {
    id: `routing/${variant}`,
    layer: 'node',
    category: 'node.routing-policy-wrong',
    scope: 'node',
    subjects: theNode,
    summary: (node, peer) => `an ip rule on ${node.name} ${what} ${peer.name}'s pods`,
    inject: async (ctx: FaultContext) => {
      const s = selector(podCidrOf(ctx, ctx.node), podCidrOf(ctx, ctx.peer));
      const data = { selector: s };
      const table = action === 'lookup' ? `ip route replace blackhole default table ${FAULT_TABLE} && ` : '';
      ctx.onNode(
        ctx.node,
        `${table}ip rule add ${ruleOf(data)} ${action === 'lookup' ? `lookup ${FAULT_TABLE}` : action}`,
      );
      return data;
    },
    heal: async (ctx, data) => {
      ctx.tryOnNode(
        ctx.node,
        `while ip rule del ${ruleOf(data)} 2>/dev/null; do :; done; ip route flush table ${FAULT_TABLE} 2>/dev/null; true`,
      );
    },
    residue: (ctx) => {
      const rules = ctx
        .tryOnNode(ctx.node, 'ip rule show')
        .stdout.split('\n')
        .filter((l) => l.startsWith(`${RULE_PRIORITY}:`));
      return rules.map((l) => `${ctx.node.name}: ip rule ${l.trim()}`);
    },
  };
}

export const ROUTING_SHAPES: Shape[] = [
  routeShape('peer-route-deleted', (p) => `ip route del ${p}`, 'the route was deleted'),
  routeShape(
    'peer-route-blackhole',
    (p) => `ip route replace blackhole ${p}`,
    'a blackhole route replaced the route',
  ),
  routeShape(
    'peer-route-unreachable',
    (p) => `ip route replace unreachable ${p}`,
    'an unreachable route replaced the route',
  ),
  ruleShape(
    'rule-to-peer-blackhole-table',
    (_n, p) => `to ${p}`,
    'lookup',
    'sends traffic to a blackhole table for',
  ),
  ruleShape(
    'rule-pods-to-peer-unreachable',
    (n, p) => `from ${n} to ${p}`,
    'unreachable',
    'makes unreachable, from its pods,',
  ),
  ruleShape('rule-to-peer-prohibit', (_n, p) => `to ${p}`, 'prohibit', 'prohibits traffic to'),
  ruleShape(
    'rule-pods-blackhole',
    (n, p) => `from ${n} to ${p}`,
    'blackhole',
    'blackholes traffic from its pods to',
  ),
];
