/**
 * Whether a node masquerades its pods' traffic to the outside world, judged by walking its nat
 * table as the kernel would. The masquerade rule reports it; the restore-masquerade repair
 * verifies with the same walk.
 */
import { chainRules, parseSpec, reachableChains } from '../analyze/rules/support/datapath.ts';
import type { IptablesTable } from '../core/datapath-types.ts';
import { prefixesOverlap } from '../core/net/cidr.ts';
import { formatIPv4, parseCidr4 } from '../core/net/ipv4.ts';
import { evaluateChain, matchRule, type PacketView } from '../datapath/iptables-eval.ts';

/** The targets that rewrite a pod's source address on the way out. */
export const NAT_TARGETS = new Set(['MASQUERADE', 'SNAT']);

/**
 * An address outside any cluster network, as the destination of the simulated egress packet
 * (TEST-NET-3, RFC 5737). Nothing is sent: the nat table is evaluated in memory.
 */
export const SIMULATED_OUTSIDE_ADDRESS = '203.0.113.10';

/** Where a pod's packet to the outside ends in nat POSTROUTING: masqueraded, not, or undecidable. */
export type EgressNat =
  | { masqueraded: true; rule: string }
  | { masqueraded: false; decidedBy: string | undefined }
  | { masqueraded: 'unknown' };

/** A new TCP connection from a pod of `podCIDR` to an address outside every cluster network. */
export function egressPacket(podCIDR: string): PacketView | undefined {
  const net = parseCidr4(podCIDR);
  if (!net) return undefined;
  return {
    src: formatIPv4((net.base + 2) >>> 0),
    dst: SIMULATED_OUTSIDE_ADDRESS,
    proto: 'tcp',
    dport: 80,
    ctstates: new Set(['NEW']),
    mark: 0,
    localAddrs: new Set(),
  };
}

/**
 * Where a pod's packet to an address outside the cluster ends in nat POSTROUTING, walking the
 * chains in order as the kernel does: a MASQUERADE that exists but sits behind a RETURN (or a
 * jump that is never taken) does not count. The restore-masquerade repair verifies with this.
 */
export function egressNat(nat: IptablesTable, podCIDR: string): EgressNat {
  const pkt = egressPacket(podCIDR);
  if (!pkt) return { masqueraded: 'unknown' };
  const v = evaluateChain(nat, 'POSTROUTING', pkt);
  const target = v.rule?.target;
  if (target && NAT_TARGETS.has(target))
    return { masqueraded: true, rule: `-A ${v.rule?.chain} ${v.rule?.spec}` };
  // A NAT rule the snapshot cannot judge (an interface or module match) might still apply.
  if (v.uncertain.some((r) => r.target && NAT_TARGETS.has(r.target))) return { masqueraded: 'unknown' };
  const first = (chainRules(nat).get('POSTROUTING') ?? []).find((r) => matchRule(r, pkt) === true);
  return { masqueraded: false, decidedBy: first ? `-A POSTROUTING ${first.spec}` : undefined };
}

/** The old presence check, kept for the cases the evaluator cannot decide. */
export function podMasquerade(nat: IptablesTable, podCIDR: string): string | undefined {
  const byChain = chainRules(nat);
  for (const chain of reachableChains(nat, ['POSTROUTING'])) {
    for (const r of byChain.get(chain) ?? []) {
      const f = parseSpec(r.spec);
      const target = r.target ?? f.target;
      const marked = f.modules.includes('mark');
      if (target === 'RETURN' && marked && f.markNeg && !f.source && !f.destination) break;
      if (!target || !NAT_TARGETS.has(target)) continue;
      if (marked && !f.markNeg) continue;
      if (f.source && (f.sourceNeg || !prefixesOverlap(f.source, podCIDR))) continue;
      if (f.destination && !f.destinationNeg && f.destination !== '0.0.0.0/0') continue;
      return `-A ${r.chain} ${r.spec}`;
    }
  }
  return undefined;
}
