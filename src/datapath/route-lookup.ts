import type { Route } from '../core/datapath-types.ts';
import { cidrCoversCidr, parseCidr } from '../core/net/cidr.ts';

/**
 * The route the kernel would pick for `ip` from one table: longest prefix first, then the
 * lowest metric. Local/broadcast entries live in the `local` table and are not considered.
 */
export function lookupRoute(routes: readonly Route[], ip: string, table = 'main'): Route | undefined {
  const addr = ip.includes('/') ? undefined : parseCidr(ip);
  if (!addr) return undefined;
  let best: Route | undefined;
  let bestLen = -1;
  for (const r of routes) {
    if ((r.table ?? 'main') !== table) continue;
    const dst = r.dst === 'default' ? (addr.family === 6 ? '::/0' : '0.0.0.0/0') : r.dst;
    const c = parseCidr(dst);
    if (!c || c.prefix < bestLen || !cidrCoversCidr(c, addr)) continue;
    if (c.prefix > bestLen || (r.metric ?? 0) < (best?.metric ?? 0)) {
      best = r;
      bestLen = c.prefix;
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
