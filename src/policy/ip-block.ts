import ipaddr from 'ipaddr.js';

type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** Parsed CIDRs and addresses; policies repeat the same few blocks thousands of times. */
const cidrCache = new Map<string, Cidr | null>();
const ipCache = new Map<string, ipaddr.IPv4 | ipaddr.IPv6 | null>();

function parseCidr(cidr: string): Cidr | null {
  let c = cidrCache.get(cidr);
  if (c === undefined) {
    try {
      c = ipaddr.parseCIDR(cidr);
    } catch {
      c = null;
    }
    cidrCache.set(cidr, c);
  }
  return c;
}

function parseIp(ip: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  let a = ipCache.get(ip);
  if (a === undefined) {
    try {
      a = ipaddr.parse(ip);
    } catch {
      a = null;
    }
    if (ipCache.size > 500_000) ipCache.clear();
    ipCache.set(ip, a);
  }
  return a;
}

/** Whether `ip` lies in `cidr`; false when either does not parse or their families differ. */
export function ipInCidr(ip: string, cidr: string): boolean {
  const a = parseIp(ip);
  const c = parseCidr(cidr);
  if (!a || !c || a.kind() !== c[0].kind()) return false;
  return a.match(c);
}

export type IpBlockMatch = { match: 'in' } | { match: 'excepted'; except: string } | { match: 'out' };

/**
 * ipBlock semantics: the address is in `cidr` and in none of `except`. An address the block
 * covers but an except carves out is reported as such, because it is a classic near-miss.
 */
export function matchIpBlock(block: { cidr: string; except?: string[] }, ip: string): IpBlockMatch {
  if (!ipInCidr(ip, block.cidr)) return { match: 'out' };
  for (const ex of block.except ?? []) if (ipInCidr(ip, ex)) return { match: 'excepted', except: ex };
  return { match: 'in' };
}

export function isIp(s: string): boolean {
  return ipaddr.isValid(s);
}
