/**
 * Which kube-proxy mode programmed a node, judged from the node itself. The cluster's
 * configured mode (kube-proxy's ConfigMap or flag) says what should be there; the node says what
 * is: during a migration, or with per-node kube-proxy DaemonSets, nodes of one cluster run
 * different modes, and each must be judged in its own. A node holding both rule sets has
 * leftovers from a mode switch: kube-proxy no longer updates the old set, but the kernel still
 * runs it, so it can DNAT Service traffic to endpoints that are long gone.
 */
import type { NodeFileKey } from '../collect/bundle/layout.ts';
import type { IptablesDump, IptablesRule, NodeDatapath } from '../core/datapath-types.ts';
import { chainPolicy, chainRulesAnyOrder } from './iptables-chains.ts';
import { KP_MAP, kubeProxyTables } from './kube-proxy-nft.ts';
import type { ProxyDataplane } from './service-nat-view.ts';

/** What the node holds of one mode's rules. */
export interface ModeRules {
  mode: ProxyDataplane;
  source: NodeFileKey;
  /** What was seen, for evidence: `nat KUBE-SERVICES: 42 rules`, `table ip kube-proxy: 12 service-ips entries`. */
  observed: string;
  /** Whether it translates any Service (a rule or map entry per Service), not just its skeleton. */
  programmed: boolean;
}

/** The mode a node's own rules show, with the other mode's leftovers; or that it holds neither. */
export type NodeProxyMode =
  | {
      status: 'detected';
      mode: ProxyDataplane;
      /** Why this mode: `node` when only its rules are there, `configured` when both are and the configuration chose. */
      basis: 'node' | 'configured';
      rules: ModeRules;
      /** The other mode's rules, still on the node. */
      leftover?: ModeRules;
    }
  /** Neither mode's rules are on the node; `expected` is the configured mode. */
  | { status: 'none'; expected: ProxyDataplane | undefined };

/** Service jumps in a KUBE-SERVICES chain; counted once for a chain many nodes share. */
const jumpsByChain = new WeakMap<readonly IptablesRule[], number>();
function serviceJumps(rules: readonly IptablesRule[]): number {
  let n = jumpsByChain.get(rules);
  if (n === undefined) {
    n = rules.filter((r) => r.target?.startsWith('KUBE-SVC-') || r.target?.startsWith('KUBE-EXT-')).length;
    jumpsByChain.set(rules, n);
  }
  return n;
}

/** KUBE-SERVICES in either iptables backend (the one with more Service jumps wins). */
function iptablesRules(dp: NodeDatapath): ModeRules | undefined {
  let best: ModeRules | undefined;
  let bestCount = -1;
  const dumps: [NodeFileKey, IptablesDump | undefined][] = [
    ['iptablesNft', dp.iptablesNft],
    ['iptablesLegacy', dp.iptablesLegacy],
  ];
  for (const [source, dump] of dumps) {
    const nat = dump?.tables['nat'];
    if (!nat || chainPolicy(nat, 'KUBE-SERVICES') === undefined) continue;
    const rules = chainRulesAnyOrder(nat, 'KUBE-SERVICES') ?? [];
    const jumps = serviceJumps(rules);
    if (jumps > bestCount) {
      bestCount = jumps;
      best = {
        mode: 'iptables',
        source,
        observed: `nat KUBE-SERVICES (${source === 'iptablesNft' ? 'iptables-nft' : 'iptables-legacy'}): ${rules.length} rules, ${jumps} Service jumps`,
        programmed: jumps > 0,
      };
    }
  }
  return best;
}

/** kube-proxy's nftables tables. */
function nftRules(dp: NodeDatapath): ModeRules | undefined {
  if (!dp.nftRuleset) return undefined;
  const tables = kubeProxyTables(dp.nftRuleset);
  if (tables.length === 0) return undefined;
  let entries = 0;
  for (const t of tables) entries += t.maps.get(KP_MAP.serviceIps)?.elements.length ?? 0;
  return {
    mode: 'nftables',
    source: 'nftRuleset',
    observed: `${tables.map((t) => `table ${t.family} kube-proxy`).join(' and ')}: ${entries} ${KP_MAP.serviceIps} entries`,
    programmed: entries > 0,
  };
}

const rulesCache = new WeakMap<NodeDatapath, { ipt: ModeRules | undefined; nft: ModeRules | undefined }>();
/** Both modes' rules on the node; several rules ask per node, so it is counted once. */
function rulesOf(dp: NodeDatapath): { ipt: ModeRules | undefined; nft: ModeRules | undefined } {
  let r = rulesCache.get(dp);
  if (!r) {
    r = { ipt: iptablesRules(dp), nft: nftRules(dp) };
    rulesCache.set(dp, r);
  }
  return r;
}

/**
 * The node's mode. `configured` is what kube-proxy is set to run on this node (its flag or the
 * cluster's ConfigMap); it decides only when the node holds programmed rules of both modes, or
 * names what is expected when it holds neither.
 */
export function nodeProxyMode(dp: NodeDatapath, configured: ProxyDataplane | undefined): NodeProxyMode {
  const { ipt, nft } = rulesOf(dp);
  if (!ipt && !nft) return { status: 'none', expected: configured };
  if (ipt && nft) {
    // Both present: a skeleton (an empty KUBE-SERVICES, a table without entries) is what a mode
    // leaves when it never synced; the programmed one is live. When both are programmed the
    // configuration decides; without one, nftables wins, as kube-proxy creates its table only
    // in nftables mode while iptables chains are also left by older installs.
    let live: ModeRules;
    let basis: 'node' | 'configured' = 'node';
    if (ipt.programmed !== nft.programmed) live = ipt.programmed ? ipt : nft;
    else {
      live = configured === 'iptables' ? ipt : nft;
      basis = configured === 'iptables' || configured === 'nftables' ? 'configured' : 'node';
    }
    const other = live === ipt ? nft : ipt;
    return { status: 'detected', mode: live.mode, basis, rules: live, leftover: other };
  }
  const only = (ipt ?? nft)!;
  // An empty skeleton of the other mode (a KUBE-SERVICES chain with no Service in it) says
  // nothing about this node: judge it by what it is configured to run, as an empty node.
  if (!only.programmed && configured !== undefined && configured !== only.mode)
    return { status: 'none', expected: configured };
  return { status: 'detected', mode: only.mode, basis: 'node', rules: only };
}
