import type { Route } from '../core/datapath-types.ts';
import { cidrContains, prefixLength } from './cidr.ts';

/**
 * The route the kernel would pick for `ip` from one table: longest prefix first, then the
 * lowest metric. Local/broadcast entries live in the `local` table and are not considered.
 */
export function lookupRoute(routes: readonly Route[], ip: string, table = 'main'): Route | undefined {
  let best: Route | undefined;
  let bestLen = -1;
  const v6 = ip.includes(':');
  for (const r of routes) {
    if ((r.table ?? 'main') !== table) continue;
    const dst = r.dst === 'default' ? (v6 ? '::/0' : '0.0.0.0/0') : r.dst;
    if (dst.includes(':') !== v6) continue;
    const len = prefixLength(dst);
    if (len < bestLen || !cidrContains(dst, ip)) continue;
    if (len > bestLen || (r.metric ?? 0) < (best?.metric ?? 0)) {
      best = r;
      bestLen = len;
    }
  }
  return best;
}

/** Route types that answer a lookup by discarding the packet. */
export const DISCARD_ROUTE_TYPES: ReadonlySet<string> = new Set([
  'blackhole',
  'unreachable',
  'prohibit',
  'throw',
]);
