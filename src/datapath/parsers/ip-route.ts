import type { Route } from '../../core/datapath-types.ts';
import { optNumber, optString, parseJsonObjects, reqString, stringArray } from './json-input.ts';

const WHAT = 'ip -j route show table all';

/**
 * Parses `ip -j route show table all`. iproute2 prints host routes without a prefix length and
 * omits `table` for the main table; both are normalised (`/32` or `/128`, `table: 'main'`) so
 * longest-prefix lookups and table filters need no special cases.
 */
export function parseIpRoute(text: string): Route[] {
  const entries = parseJsonObjects(text, WHAT);
  const routes: Route[] = new Array(entries.length);
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    const route: Route = {
      dst: normaliseDst(reqString(e, 'dst', WHAT, i)),
      flags: stringArray(e, 'flags'),
      table: optString(e, 'table') ?? 'main',
    };
    const gateway = optString(e, 'gateway');
    if (gateway !== undefined) route.gateway = gateway;
    const dev = optString(e, 'dev');
    if (dev !== undefined) route.dev = dev;
    const protocol = optString(e, 'protocol');
    if (protocol !== undefined) route.protocol = protocol;
    const scope = optString(e, 'scope');
    if (scope !== undefined) route.scope = scope;
    const prefsrc = optString(e, 'prefsrc');
    if (prefsrc !== undefined) route.prefsrc = prefsrc;
    const type = optString(e, 'type');
    if (type !== undefined) route.type = type;
    const metric = optNumber(e, 'metric');
    if (metric !== undefined) route.metric = metric;
    routes[i] = route;
  }
  return routes;
}

function normaliseDst(dst: string): string {
  if (dst === 'default' || dst.includes('/')) return dst;
  return dst.includes(':') ? `${dst}/128` : `${dst}/32`;
}
