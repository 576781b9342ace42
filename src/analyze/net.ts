/** IPv4 address and CIDR arithmetic on unsigned 32-bit integers, for hot analysis loops. */

export interface Cidr4 {
  /** Network address (host bits cleared). */
  base: number;
  prefix: number;
  text: string;
}

export function parseIPv4(s: string): number | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n >>> 0;
}

export function formatIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** Parses `a.b.c.d/n` (or a bare address as /32); undefined for anything else, IPv6 included. */
export function parseCidr4(s: string): Cidr4 | undefined {
  const [ip, len] = s.trim().split('/');
  const addr = parseIPv4(ip ?? '');
  if (addr === undefined) return undefined;
  const prefix = len === undefined ? 32 : Number(len);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) return undefined;
  const b = (addr & mask(prefix)) >>> 0;
  return { base: b, prefix, text: `${formatIPv4(b)}/${prefix}` };
}

export function cidrContainsIp(c: Cidr4, ip: number): boolean {
  return (ip & mask(c.prefix)) >>> 0 === c.base;
}

export function cidrsOverlap(a: Cidr4, b: Cidr4): boolean {
  const p = Math.min(a.prefix, b.prefix);
  return (a.base & mask(p)) >>> 0 === (b.base & mask(p)) >>> 0;
}

/** The smallest CIDR that holds every address given. */
export function coveringCidr(ips: number[]): Cidr4 | undefined {
  if (ips.length === 0) return undefined;
  let lo = ips[0] as number;
  let hi = lo;
  for (const ip of ips) {
    if (ip < lo) lo = ip;
    if (ip > hi) hi = ip;
  }
  let prefix = 32;
  while (prefix > 0 && (lo & mask(prefix)) >>> 0 !== (hi & mask(prefix)) >>> 0) prefix--;
  const b = (lo & mask(prefix)) >>> 0;
  return { base: b, prefix, text: `${formatIPv4(b)}/${prefix}` };
}
