/**
 * IPv4 addresses and prefixes as unsigned 32-bit integers. Analysis runs these checks over
 * every route of every node (tens of millions at benchmark scale), so parsing is a hand-written
 * scan rather than ipaddr.js, and parsed prefixes are cached: the same few thousand CIDR strings
 * recur on every node.
 */

/** A parsed IPv4 prefix. Shared through the cache, so never mutated. */
export interface Cidr4 {
  readonly family: 4;
  /** Network address (host bits cleared), as an unsigned integer. */
  readonly base: number;
  readonly prefix: number;
  /** Normalised text: `10.244.3.0/24`. */
  readonly text: string;
}

const ADDR_CACHE_MAX = 500_000;
const addrCache = new Map<string, number | null>();

/**
 * A dotted-quad IPv4 address as an unsigned integer; undefined for anything else. Only plain
 * decimal is accepted (no leading zeros, no short or hex forms), as Kubernetes and iproute2
 * write addresses, so `010.0.0.1` cannot be read as octal by one caller and decimal by another.
 * Cached: policy and rule loops test the same pod and node addresses again and again.
 */
export function parseIPv4(s: string): number | undefined {
  let v = addrCache.get(s);
  if (v === undefined) {
    v = scanIPv4(s) ?? null;
    if (addrCache.size >= ADDR_CACHE_MAX) addrCache.clear();
    addrCache.set(s, v);
  }
  return v ?? undefined;
}

function scanIPv4(s: string): number | undefined {
  const n = s.length;
  if (n < 7 || n > 15) return undefined;
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return undefined;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && octet === 0) return undefined;
      octet = octet * 10 + (c - 48);
      if (octet > 255) return undefined;
      digits++;
    } else {
      return undefined;
    }
  }
  if (dots !== 3 || digits === 0) return undefined;
  return value * 256 + octet;
}

export function formatIPv4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** The netmask of a prefix length, as an unsigned integer. */
export function prefixMask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** The prefix of length `prefix` that holds `addr`. */
export function cidr4(addr: number, prefix: number): Cidr4 {
  const base = (addr & prefixMask(prefix)) >>> 0;
  return { family: 4, base, prefix, text: `${formatIPv4(base)}/${prefix}` };
}

const CIDR_CACHE_MAX = 100_000;
const cidrCache = new Map<string, Cidr4 | null>();

function readCidr4(raw: string): Cidr4 | undefined {
  const s = raw.trim();
  const slash = s.indexOf('/');
  const addr = scanIPv4(slash < 0 ? s : s.slice(0, slash));
  if (addr === undefined) return undefined;
  if (slash < 0) return cidr4(addr, 32);
  const len = s.slice(slash + 1);
  if (!/^\d{1,2}$/.test(len)) return undefined;
  const prefix = Number(len);
  return prefix <= 32 ? cidr4(addr, prefix) : undefined;
}

/** Parses `a.b.c.d/n` (or a bare address as /32); undefined for anything else, IPv6 included. */
export function parseCidr4(s: string): Cidr4 | undefined {
  let c = cidrCache.get(s);
  if (c === undefined) {
    c = readCidr4(s) ?? null;
    if (cidrCache.size >= CIDR_CACHE_MAX) cidrCache.clear();
    cidrCache.set(s, c);
  }
  return c ?? undefined;
}

export function cidrContainsIp(c: Cidr4, ip: number): boolean {
  return (ip & prefixMask(c.prefix)) >>> 0 === c.base;
}

/** Whether `inner` lies wholly inside `outer`. */
export function cidrCovers(outer: Cidr4, inner: Cidr4): boolean {
  return inner.prefix >= outer.prefix && cidrContainsIp(outer, inner.base);
}

/** Whether two prefixes share any address. */
export function cidrsOverlap(a: Cidr4, b: Cidr4): boolean {
  const m = prefixMask(Math.min(a.prefix, b.prefix));
  return (a.base & m) >>> 0 === (b.base & m) >>> 0;
}

/** The first host of a prefix (the bridge gateway: `10.244.3.1`); undefined for a /32. */
export function firstHost(c: Cidr4): string | undefined {
  return c.prefix < 32 ? formatIPv4(c.base + 1) : undefined;
}

/** The smallest CIDR that holds every address given. */
export function coveringCidr(ips: readonly number[]): Cidr4 | undefined {
  if (ips.length === 0) return undefined;
  let lo = ips[0] as number;
  let hi = lo;
  for (const ip of ips) {
    if (ip < lo) lo = ip;
    if (ip > hi) hi = ip;
  }
  let prefix = 32;
  while (prefix > 0 && (lo & prefixMask(prefix)) >>> 0 !== (hi & prefixMask(prefix)) >>> 0) prefix--;
  return cidr4(lo, prefix);
}
