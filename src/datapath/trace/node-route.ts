/**
 * The node-route hop: the routing decision on a node (ip rules, then the chosen table) and
 * whether the route it picks can carry the packet to where its destination lives.
 */
import { nodeFile } from '../../collect/bundle/layout.ts';
import type { Link, NodeDatapath, Route } from '../../core/datapath-types.ts';
import { cidrContains } from '../../core/net/cidr.ts';
import { formatRoute } from '../format.ts';
import { formatIpRule, type RoutingKey, routeFor } from '../policy-routing.ts';
import { DISCARD_ROUTE_TYPES } from '../route-lookup.ts';
import type { NodeFacts } from '../trace-cluster.ts';
import { forwardingHop, rpFilterHop } from './forwarding.ts';
import type { Walk } from './walk.ts';

/** The routing decision on `node`; returns the route, or undefined to stop. */
export function routeHop(
  w: Walk,
  node: NodeFacts,
  dp: NodeDatapath,
  dstNode: NodeFacts | undefined,
  bridge: Link | undefined,
  iif?: string,
): Route | undefined {
  const source = nodeFile(node.name, 'routes');
  const dst = w.dst;
  const base = { kind: 'node-route' as const, node: node.name, dst };
  if (!dp.routes) {
    w.add({
      ...base,
      status: 'unknown',
      summary: `routes were not collected from ${node.name}`,
      reason: `routes were not collected from ${node.name}`,
      evidence: [],
    });
    return undefined;
  }
  const key: RoutingKey = {
    src: w.src,
    dst,
    ...(iif ? { iif } : {}),
    proto: w.protocol,
    ...(w.port !== undefined && !w.query.reply ? { dport: w.port } : {}),
  };
  if (iif && !forwardingHop(w, node, dp)) return undefined;
  if (iif && !rpFilterHop(w, node, dp, iif)) return undefined;
  const decision = routeFor(dp.routes, dp.ipRules, key);
  const rulesSource = nodeFile(node.name, 'ipRules');
  if (decision.kind === 'discard') {
    const rule = formatIpRule(decision.rule);
    w.add({
      ...base,
      policyRule: rule,
      status: 'broken',
      summary: `${node.name} discards packets to ${dst} by policy routing`,
      reason: `${node.name} discards ${w.describePacket(w.src)} by ip rule ${rule}`,
      evidence: [{ source: rulesSource, observed: rule, expected: 'no rule discarding pod traffic' }],
    });
    return undefined;
  }
  const route = decision.kind === 'route' ? decision.route : undefined;
  const ruleUsed = decision.kind === 'route' && decision.rule ? formatIpRule(decision.rule) : undefined;
  if (route && ruleUsed) {
    // A table other than main's default: the rule is part of the proof, whatever follows.
    const ruleEv = { source: rulesSource, observed: `${ruleUsed} -> ${formatRoute(route)}` };
    const added = routeChecks(w, node, dp, dstNode, bridge, route, dst, source);
    const last = w.hops.at(-1);
    if (last?.kind === 'node-route') {
      last.policyRule = ruleUsed;
      last.evidence.push(ruleEv);
      last.summary = `${last.summary} (table ${decision.kind === 'route' ? decision.table : '?'} by ip rule ${ruleUsed.split(':')[0]})`;
    }
    return added;
  }
  return routeChecks(w, node, dp, dstNode, bridge, route, dst, source);
}

/** Judges the route the decision chose; returns it, or undefined to stop. */
function routeChecks(
  w: Walk,
  node: NodeFacts,
  dp: NodeDatapath,
  dstNode: NodeFacts | undefined,
  bridge: Link | undefined,
  route: Route | undefined,
  dst: string,
  source: string,
): Route | undefined {
  const want = dstNode?.podCidr && cidrContains(dstNode.podCidr, dst) ? dstNode.podCidr : dst;
  const base = { kind: 'node-route' as const, node: node.name, dst, want };
  if (!route) {
    w.add({
      ...base,
      status: 'broken',
      summary: `${node.name} has no route to ${dst}`,
      reason: `${node.name} has no route to ${want}: not even a default route`,
      evidence: [{ source, observed: 'no matching route in table main', expected: `a route to ${want}` }],
    });
    return undefined;
  }
  const text = formatRoute(route);
  const hop = {
    ...base,
    route: text,
    ...(route.dev ? { dev: route.dev } : {}),
    ...(route.gateway ? { via: route.gateway } : {}),
  };
  if (route.type && DISCARD_ROUTE_TYPES.has(route.type)) {
    w.add({
      ...hop,
      status: 'broken',
      summary: `${node.name} discards packets to ${dst}`,
      reason: `${node.name} routes ${dst} to ${text}`,
      evidence: [{ source, observed: text }],
    });
    return undefined;
  }
  const isLocalSubnet = dstNode?.name === node.name;
  const inOwnPodSubnet = node.podCidr !== undefined && cidrContains(node.podCidr, dst);
  if (isLocalSubnet && inOwnPodSubnet && bridge && route.dev !== bridge.ifname) {
    w.add({
      ...hop,
      status: 'broken',
      summary: `${node.name} routes its own pod ${dst} away from ${bridge.ifname}`,
      reason: `${node.name} routes ${dst} (its own pod subnet ${node.podCidr ?? ''}) via ${text} instead of ${bridge.ifname}`,
      evidence: [{ source, observed: text, expected: `${node.podCidr ?? dst} dev ${bridge.ifname}` }],
    });
    return undefined;
  }
  if (dstNode && !isLocalSubnet && dstNode.podCidr && cidrContains(dstNode.podCidr, dst)) {
    const overlay = dp.links?.find((l) => l.ifname === route.dev && l.kind === 'vxlan');
    const direct = route.gateway !== undefined && route.gateway === dstNode.underlayIp;
    if (!overlay && !direct) {
      const leave = `${route.dst}${route.dev ? ` dev ${route.dev}` : ''}${route.gateway ? ` (gateway ${route.gateway})` : ''}`;
      w.add({
        ...hop,
        status: 'broken',
        summary: `${node.name} has no route to ${dstNode.podCidr}`,
        reason: `${node.name} has no route to ${dstNode.podCidr}: it would leave via ${leave}`,
        evidence: [
          {
            source,
            observed: text,
            expected: `${dstNode.podCidr} via ${dstNode.podCidr.split('/')[0]} dev ${w.view.cni.datapath.overlayDevice} onlink (or via ${dstNode.underlayIp ?? "the peer's address"})`,
          },
        ],
      });
      return undefined;
    }
  }
  w.add({ ...hop, status: 'ok', summary: `${dst} -> ${text}`, evidence: [{ source, observed: text }] });
  return route;
}
