/**
 * Address and prefix checks over ipaddr.js, with parsed prefixes cached: the tracer and the
 * rules test the same few hundred CIDRs against many addresses.
 */
import ipaddr from 'ipaddr.js';

type Parsed = [ipaddr.IPv4 | ipaddr.IPv6, number];
const cache = new Map<string, Parsed | null>();

/** The prefix `cidr` parsed (`default` is 0.0.0.0/0), or undefined when it is not a CIDR. */
export function parseCidr(cidr: string): Parsed | undefined {
  let hit = cache.get(cidr);
  if (hit === undefined) {
    try {
      hit = cidr === 'default' ? [ipaddr.parse('0.0.0.0'), 0] : ipaddr.parseCIDR(cidr);
    } catch {
      hit = null;
    }
    if (cache.size > 100_000) cache.clear();
    cache.set(cidr, hit);
  }
  return hit ?? undefined;
}

export function isIp(s: string): boolean {
  return ipaddr.isValid(s);
}

/** Whether `ip` lies inside `cidr` (false for unparsable input or mixed families). */
export function cidrContains(cidr: string, ip: string): boolean {
  const range = parseCidr(cidr);
  if (!range || !ipaddr.isValid(ip)) return false;
  const addr = ipaddr.parse(ip);
  if (addr.kind() !== range[0].kind()) return false;
  return addr.match(range);
}

/** Prefix length of `cidr` (`default` is 0); -1 when unparsable. */
export function prefixLength(cidr: string): number {
  return parseCidr(cidr)?.[1] ?? -1;
}
