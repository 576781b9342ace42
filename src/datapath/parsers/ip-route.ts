import type { Route } from '../../core/datapath-types.ts';
import { copyOptional, optString, parseJsonObjects, reqString, stringArray } from './json-input.ts';

const WHAT = 'ip -j route show table all';
const ROUTE_STRINGS = ['gateway', 'dev', 'protocol', 'scope', 'prefsrc', 'type'] as const;
const ROUTE_NUMBERS = ['metric'] as const;

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
    routes[i] = copyOptional(route, e, ROUTE_STRINGS, ROUTE_NUMBERS);
  }
  return routes;
}

function normaliseDst(dst: string): string {
  if (dst === 'default' || dst.includes('/')) return dst;
  return dst.includes(':') ? `${dst}/128` : `${dst}/32`;
}
