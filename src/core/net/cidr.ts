/**
 * Addresses and prefixes of either family, as strings in and booleans out: what the tracer, the
 * iptables evaluator and ipBlock matching need. IPv4 takes the integer path of ipv4.ts; IPv6
 * goes through ipaddr.js, with parsed prefixes cached because policies and routes repeat the
 * same few blocks thousands of times.
 */
import ipaddr from 'ipaddr.js';
import { type Cidr4, cidrContainsIp, cidrCovers, parseCidr4, parseIPv4 } from './ipv4.ts';

/** A parsed IPv6 prefix. */
export interface Cidr6 {
  readonly family: 6;
  readonly addr: ipaddr.IPv6;
  readonly prefix: number;
}

export type Cidr = Cidr4 | Cidr6;

const CACHE_MAX = 100_000;
const cache6 = new Map<string, Cidr6 | null>();

function readCidr6(s: string): Cidr6 | undefined {
  try {
    if (!s.includes('/')) return { family: 6, addr: ipaddr.IPv6.parse(s), prefix: 128 };
    const [addr, prefix] = ipaddr.IPv6.parseCIDR(s);
    return { family: 6, addr, prefix };
  } catch {
    return undefined;
  }
}

/** A prefix of either family (a bare address is a host prefix); undefined when it does not parse. */
export function parseCidr(s: string): Cidr | undefined {
  if (!s.includes(':')) return parseCidr4(s);
  let c = cache6.get(s);
  if (c === undefined) {
    c = readCidr6(s) ?? null;
    if (cache6.size >= CACHE_MAX) cache6.clear();
    cache6.set(s, c);
  }
  return c ?? undefined;
}

/** Whether `s` is an IPv4 (dotted-quad) or IPv6 address. */
export function isIp(s: string): boolean {
  return s.includes(':') ? ipaddr.IPv6.isValid(s) : parseIPv4(s) !== undefined;
}

/** Whether `inner` lies wholly inside `outer` (false across families). */
export function cidrCoversCidr(outer: Cidr, inner: Cidr): boolean {
  if (outer.family === 4) return inner.family === 4 && cidrCovers(outer, inner);
  return inner.family === 6 && inner.prefix >= outer.prefix && inner.addr.match(outer.addr, outer.prefix);
}

/**
 * Whether `inner` (an address or a prefix) lies wholly inside `cidr`; false when either does not
 * parse or their families differ.
 */
export function cidrContains(cidr: string, inner: string): boolean {
  const outer4 = parseCidr4(cidr);
  if (outer4) {
    const ip = parseIPv4(inner);
    if (ip !== undefined) return cidrContainsIp(outer4, ip);
    const i = parseCidr4(inner);
    return i !== undefined && cidrCovers(outer4, i);
  }
  const outer = parseCidr(cidr);
  if (!outer) return false;
  const i = parseCidr(inner);
  return i !== undefined && cidrCoversCidr(outer, i);
}

/** Whether two prefixes (or addresses) share any address: one of them holds the other. */
export function prefixesOverlap(a: string, b: string): boolean {
  return cidrContains(a, b) || cidrContains(b, a);
}
