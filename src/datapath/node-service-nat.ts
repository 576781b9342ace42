/**
 * The one entry point for a node's Service translation: detects the node's kube-proxy mode
 * (node-proxy-mode.ts) and reads the view from that mode's rules.
 */
import type { NodeDatapath } from '../core/datapath-types.ts';
import { type NodeProxyMode, nodeProxyMode } from './node-proxy-mode.ts';
import type { ProxyDataplane, ServiceNatView } from './service-nat-view.ts';
import { iptablesServiceNatView } from './service-nat-view-iptables.ts';
import { nftServiceNatView } from './service-nat-view-nft.ts';

/** A node's detected kube-proxy mode and the Service NAT view read from that mode's rules. */
export interface NodeServiceNat {
  mode: NodeProxyMode;
  /** Absent when the node holds neither mode's rules. */
  view?: ServiceNatView;
}

/** The node's mode and the Service NAT view of its live rules. */
export function nodeServiceNat(dp: NodeDatapath, configured: ProxyDataplane | undefined): NodeServiceNat {
  const mode = nodeProxyMode(dp, configured);
  if (mode.status === 'none') return { mode };
  if (mode.mode === 'nftables') {
    const view = dp.nftRuleset ? nftServiceNatView(dp.nftRuleset) : undefined;
    return view ? { mode, view } : { mode };
  }
  const key = mode.rules.source === 'iptablesLegacy' ? 'iptablesLegacy' : 'iptablesNft';
  const dump = dp[key];
  return dump ? { mode, view: iptablesServiceNatView(dump, key) } : { mode };
}
