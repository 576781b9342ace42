/**
 * Datapath objects written back as the commands that show them would print them, so evidence
 * reads like the `ip`/`bridge` output a person would paste into a ticket.
 */
import type { FdbEntry, Neighbor, Route } from '../core/datapath-types.ts';

/** Which parts of a route `formatRoute` writes beyond destination, gateway, device and flags. */
export interface RouteFormat {
  /** A non-unicast type and a non-main table: where the route lives (default true). */
  where?: boolean;
  /** proto, scope, src and metric (default true). */
  details?: boolean;
}

/** e.g. `10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink`. */
export function formatRoute(r: Route, opts: RouteFormat = {}): string {
  const where = opts.where ?? true;
  const details = opts.details ?? true;
  const parts: string[] = [];
  if (where && r.type && r.type !== 'unicast') parts.push(r.type);
  parts.push(r.dst);
  if (r.gateway) parts.push('via', r.gateway);
  if (r.dev) parts.push('dev', r.dev);
  if (where && r.table && r.table !== 'main') parts.push('table', r.table);
  if (details) {
    if (r.protocol) parts.push('proto', r.protocol);
    if (r.scope && r.scope !== 'global') parts.push('scope', r.scope);
    if (r.prefsrc) parts.push('src', r.prefsrc);
    if (r.metric !== undefined) parts.push('metric', String(r.metric));
  }
  parts.push(...r.flags);
  return parts.join(' ');
}

/** e.g. `10.244.2.0 dev flannel.1 lladdr a6:4e:77:00:00:02 PERMANENT`. */
export function formatNeighbor(n: Neighbor): string {
  return [n.dst, 'dev', n.dev, ...(n.lladdr ? ['lladdr', n.lladdr] : []), ...n.state].join(' ');
}

/** e.g. `a6:4e:77:00:00:02 dev flannel.1 dst 192.168.77.12 self permanent`. */
export function formatFdb(f: FdbEntry): string {
  const parts = [f.mac, 'dev', f.dev];
  if (f.dst) parts.push('dst', f.dst);
  if (f.vlan !== undefined) parts.push('vlan', String(f.vlan));
  if (f.master) parts.push('master', f.master);
  parts.push(...f.flags);
  if (f.state) parts.push(f.state);
  return parts.join(' ');
}
