import type { IptablesDump, NodeDatapath } from '../core/datapath-types.ts';
import { chainPolicy } from './iptables-chains.ts';

export interface ActiveIptables {
  dump: IptablesDump;
  /** Which NODE_FILES entry it came from, for evidence paths. */
  key: 'iptablesNft' | 'iptablesLegacy';
}

/**
 * The iptables dump that carries the node's rules. A node normally uses one backend and the
 * other dump is empty; when both hold rules (a mixed node) the one holding kube-proxy's
 * KUBE-SERVICES wins, since that is what Service traffic meets first.
 */
export function activeIptables(dp: NodeDatapath): ActiveIptables | undefined {
  const candidates: ActiveIptables[] = [];
  if (dp.iptablesNft) candidates.push({ dump: dp.iptablesNft, key: 'iptablesNft' });
  if (dp.iptablesLegacy) candidates.push({ dump: dp.iptablesLegacy, key: 'iptablesLegacy' });
  const withKube = candidates.find((c) => {
    const nat = c.dump.tables['nat'];
    return nat !== undefined && chainPolicy(nat, 'KUBE-SERVICES') !== undefined;
  });
  if (withKube) return withKube;
  const ruleCount = (d: IptablesDump): number =>
    Object.values(d.tables).reduce((n, t) => n + t.rules.length, 0);
  return candidates.sort((a, b) => ruleCount(b.dump) - ruleCount(a.dump))[0];
}
