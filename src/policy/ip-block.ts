import { cidrContains } from '../core/net/cidr.ts';

export type IpBlockMatch = { match: 'in' } | { match: 'excepted'; except: string } | { match: 'out' };

/**
 * ipBlock semantics: the address is in `cidr` and in none of `except`. An address the block
 * covers but an except carves out is reported as such, because it is a classic near-miss.
 */
export function matchIpBlock(block: { cidr: string; except?: string[] }, ip: string): IpBlockMatch {
  if (!cidrContains(block.cidr, ip)) return { match: 'out' };
  for (const ex of block.except ?? []) if (cidrContains(ex, ip)) return { match: 'excepted', except: ex };
  return { match: 'in' };
}
