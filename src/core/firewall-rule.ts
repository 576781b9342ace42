/**
 * One iptables rule named by what it is, not where it sits: backend, table, chain and the full
 * rule as iptables-save writes it. Controllers (kube-proxy, kube-router) rewrite chains all the
 * time, so a rule's position is stale by the time anyone acts on it; its identity is not.
 * Analysis writes it into a traced cause's evidence; the repair step reads it back.
 */

/** Which iptables backend a rule lives in. */
export type FirewallBackend = 'nft' | 'legacy';

/** A rule's identity. */
export interface FirewallRuleId {
  backend: FirewallBackend;
  table: string;
  chain: string;
  /** The rule as iptables-save writes it, without `-A CHAIN`. */
  spec: string;
}

const PREFIX = 'rule: ';
const LINE = /^rule: iptables-(nft|legacy) -t (\S+) -A (\S+) (.+)$/;

/** The evidence `observed` text naming a rule: `rule: iptables-nft -t filter -A FORWARD -s ... -j DROP`. */
export function formatFirewallRule(r: FirewallRuleId): string {
  return `${PREFIX}iptables-${r.backend} -t ${r.table} -A ${r.chain} ${r.spec}`;
}

/** Reads {@link formatFirewallRule}'s text back; undefined for any other text. */
export function parseFirewallRule(observed: string): FirewallRuleId | undefined {
  const m = LINE.exec(observed);
  if (!m) return undefined;
  return { backend: m[1] as FirewallBackend, table: m[2]!, chain: m[3]!, spec: m[4]! };
}
