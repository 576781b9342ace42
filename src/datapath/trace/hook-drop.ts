/**
 * A drop by a netfilter hook other than the active backend's filter chain, in the shape the
 * filter, underlay and peer-node hops report it.
 */
import { nodeFile } from '../../collect/bundle/layout.ts';
import type { NodeDatapath } from '../../core/datapath-types.ts';
import type { Evidence } from '../../core/model.ts';
import { activeIptables } from '../active-iptables.ts';
import type { PacketView } from '../iptables-eval.ts';
import { firstHookDrop } from '../netfilter-hooks.ts';
import { nftNativeDrop } from '../nft-eval.ts';
import type { Walk } from './walk.ts';

/** A hook that drops a packet, as a hop reports it. */
export interface HookBlock {
  /** `raw PREROUTING (iptables-nft)`, `nft inet hostfw forward`. */
  where: string;
  table: string;
  chain: string;
  backend: 'iptables-nft' | 'iptables-legacy' | 'nftables';
  /** The drop sits in the iptables backend kube-proxy does not program. */
  inactive: boolean;
  verdict: 'drop' | 'reject';
  what: string;
  /** `-A CHAIN spec`, or the nft rule text; absent for a chain policy. */
  rule?: string;
  evidence: Evidence;
}

/**
 * A drop of the node's own (encapsulated) packet by any hook but the active backend's filter
 * chain, which the caller judges with its full evidence: raw, mangle, nat, the other backend,
 * a host firewall written with nft.
 */
export function hookDrop(
  w: Walk,
  node: string,
  dp: NodeDatapath,
  path: 'OUTPUT' | 'INPUT',
  pkt: PacketView,
  active: ReturnType<typeof activeIptables>,
): HookBlock | undefined {
  const reply = w.query.reply === true;
  const other = firstHookDrop(dp, path, pkt, {
    reply,
    ...(active ? { skip: { key: active.key, table: 'filter' } } : {}),
  });
  if (other) {
    const what = other.rule
      ? `-A ${other.rule.chain} ${other.rule.spec}`
      : `policy ${other.policy ?? 'DROP'}`;
    const backend = other.key === 'iptablesNft' ? 'iptables-nft' : 'iptables-legacy';
    return {
      where: `${other.table} ${other.chain} (${backend})`,
      table: other.table,
      chain: other.chain,
      backend,
      inactive: activeIptables(dp)?.key !== other.key,
      verdict: other.verdict,
      what,
      ...(other.rule ? { rule: what } : {}),
      evidence: { source: nodeFile(node, other.key), observed: `*${other.table} ${what}` },
    };
  }
  const native = nftNativeDrop(dp.nftRuleset, path, pkt, {
    iptablesNft: dp.iptablesNft !== undefined,
    reply,
  });
  if (!native) return undefined;
  const what = native.rule ?? `policy ${native.verdict}`;
  return {
    where: `nft ${native.family} ${native.table} ${native.chain}`,
    table: `nft ${native.family} ${native.table}`,
    chain: native.chain,
    backend: 'nftables',
    inactive: false,
    verdict: native.verdict,
    what,
    ...(native.rule ? { rule: native.rule } : {}),
    evidence: {
      source: nodeFile(node, 'nftRuleset'),
      observed: `table ${native.family} ${native.table} ${native.chain}: ${what}`,
    },
  };
}
