/**
 * IPv4 CIDR arithmetic for the datapath rules. Parsing goes through ipaddr.js once per distinct
 * string; comparisons then work on 32-bit integers so that rules over thousands of routes per
 * node stay cheap.
 */
import ipaddr from 'ipaddr.js';

/** A parsed IPv4 prefix: network address as an unsigned integer, and its length. */
export interface V4Prefix {
  net: number;
  len: number;
}

const addrCache = new Map<string, number | null>();
const prefixCache = new Map<string, V4Prefix | null>();

function toUint(bytes: number[]): number {
  return (((bytes[0] ?? 0) << 24) | ((bytes[1] ?? 0) << 16) | ((bytes[2] ?? 0) << 8) | (bytes[3] ?? 0)) >>> 0;
}

function maskOf(len: number): number {
  return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
}

/** An IPv4 address as an unsigned integer, or undefined when it is not IPv4. */
export function v4(addr: string): number | undefined {
  let v = addrCache.get(addr);
  if (v === undefined) {
    v = ipaddr.IPv4.isValidFourPartDecimal(addr) ? toUint(ipaddr.IPv4.parse(addr).toByteArray()) : null;
    addrCache.set(addr, v);
  }
  return v ?? undefined;
}

/** An IPv4 CIDR (or bare address, as a /32), normalised to its network address. */
export function v4Prefix(cidr: string): V4Prefix | undefined {
  let p = prefixCache.get(cidr);
  if (p === undefined) {
    p = null;
    if (cidr.includes('/')) {
      if (ipaddr.IPv4.isValidCIDR(cidr)) {
        const [a, len] = ipaddr.IPv4.parseCIDR(cidr);
        p = { net: (toUint(a.toByteArray()) & maskOf(len)) >>> 0, len };
      }
    } else {
      const a = v4(cidr);
      if (a !== undefined) p = { net: a, len: 32 };
    }
    prefixCache.set(cidr, p);
  }
  return p ?? undefined;
}

export function uintToV4(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** `10.244.3.0/24` -> `10.244.3.0/24` (normalised), undefined when not IPv4. */
export function normaliseCidr(cidr: string): string | undefined {
  const p = v4Prefix(cidr);
  return p ? `${uintToV4(p.net)}/${p.len}` : undefined;
}

/** The network address of a prefix (flannel's VTEP gateway for a peer subnet: `10.244.3.0`). */
export function networkAddress(cidr: string): string | undefined {
  const p = v4Prefix(cidr);
  return p ? uintToV4(p.net) : undefined;
}

/** The first host of a prefix (the bridge gateway: `10.244.3.1`). */
export function firstHost(cidr: string): string | undefined {
  const p = v4Prefix(cidr);
  return p && p.len < 32 ? uintToV4(p.net + 1) : undefined;
}

/** Whether `inner` (address or CIDR) lies wholly inside `outer`. */
export function contains(outer: string, inner: string): boolean {
  const o = v4Prefix(outer);
  const i = v4Prefix(inner);
  if (!o || !i || i.len < o.len) return false;
  return (i.net & maskOf(o.len)) >>> 0 === o.net;
}

/** Whether two prefixes share any address. */
export function overlaps(a: string, b: string): boolean {
  return contains(a, b) || contains(b, a);
}

/** `192.168.1.11` -> its /24, used where no other hint of the underlay subnet exists. */
export function slash24(addr: string): string | undefined {
  const a = v4(addr);
  return a === undefined ? undefined : `${uintToV4((a & 0xffffff00) >>> 0)}/24`;
}
