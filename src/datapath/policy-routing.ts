/**
 * The kernel's routing decision with policy routing: `ip rule` entries tried by priority, each
 * matching on source, destination, incoming interface, mark and port, then either a table to
 * look the destination up in (the first table with a route wins) or a discard. A node with no
 * rules collected is routed by its main table, as before rules were collected.
 */
import type { IpRule, Route } from '../core/datapath-types.ts';
import { cidrContains } from '../core/net/cidr.ts';
import { lookupRoute } from './route-lookup.ts';

/** What the routing decision sees of a packet. */
export interface RoutingKey {
  src: string;
  dst: string;
  /** The interface it came in on; absent for the node's own packets. */
  iif?: string;
  mark?: number;
  proto?: string;
  dport?: number;
}

/** The decision: a route (from which table, by which rule), a discard by a rule, or nothing. */
export type RoutingDecision =
  | { kind: 'route'; route: Route; table: string; rule?: IpRule }
  | { kind: 'discard'; rule: IpRule }
  | { kind: 'none' };

const RULE_DISCARDS: ReadonlySet<string> = new Set(['blackhole', 'unreachable', 'prohibit']);

function prefixMatches(prefix: string | undefined, ip: string): boolean {
  if (prefix === undefined || prefix === 'all') return true;
  return cidrContains(prefix, ip);
}

/** Whether a rule's selector takes the packet. */
export function ruleMatches(r: IpRule, k: RoutingKey): boolean {
  let m =
    prefixMatches(r.src, k.src) &&
    prefixMatches(r.dst, k.dst) &&
    // A rule on the incoming interface never takes the node's own packets (they come from lo).
    (r.iif === undefined || r.iif === (k.iif ?? 'lo')) &&
    // Only a socket bound to an interface meets an oif rule; forwarded pod traffic never does.
    r.oif === undefined &&
    (r.fwmark === undefined || ((k.mark ?? 0) & (r.fwmask ?? 0xffffffff)) === r.fwmark) &&
    (r.ipproto === undefined || r.ipproto === k.proto) &&
    (r.dport === undefined || r.dport === k.dport);
  if (r.not) m = !m;
  return m;
}

/** The route `k` takes on a node with these routes and rules. */
export function routeFor(
  routes: readonly Route[],
  rules: readonly IpRule[] | undefined,
  k: RoutingKey,
): RoutingDecision {
  if (!rules) {
    const route = lookupRoute(routes, k.dst);
    return route ? { kind: 'route', route, table: 'main' } : { kind: 'none' };
  }
  for (const r of [...rules].sort((a, b) => a.priority - b.priority)) {
    if (!ruleMatches(r, k)) continue;
    if (RULE_DISCARDS.has(r.action)) return { kind: 'discard', rule: r };
    // local holds the node's own and broadcast addresses; the tracer handles those itself.
    if (r.action !== 'lookup' || !r.table || r.table === 'local') continue;
    const route = lookupRoute(routes, k.dst, r.table);
    // A `throw` route sends the lookup on to the next rule.
    if (!route || route.type === 'throw') continue;
    const isDefault = r.table === 'main' && r.priority === 32766;
    return { kind: 'route', route, table: r.table, ...(isDefault ? {} : { rule: r }) };
  }
  return { kind: 'none' };
}

/** `100: from 10.244.1.0/24 to 10.244.2.0/24 prohibit`, as `ip rule show` prints it. */
export function formatIpRule(r: IpRule): string {
  const parts = [`${r.priority}:`];
  if (r.not) parts.push('not');
  parts.push('from', r.src);
  if (r.dst) parts.push('to', r.dst);
  if (r.fwmark !== undefined)
    parts.push(
      'fwmark',
      `0x${r.fwmark.toString(16)}${r.fwmask !== undefined ? `/0x${r.fwmask.toString(16)}` : ''}`,
    );
  if (r.ipproto) parts.push('ipproto', r.ipproto);
  if (r.dport !== undefined) parts.push('dport', String(r.dport));
  if (r.iif) parts.push('iif', r.iif);
  if (r.oif) parts.push('oif', r.oif);
  parts.push(r.action === 'lookup' ? `lookup ${r.table ?? '?'}` : r.action);
  return parts.join(' ');
}
