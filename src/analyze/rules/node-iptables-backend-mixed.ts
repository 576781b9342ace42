import type { IptablesDump, NodeDatapath } from '../../core/datapath-types.ts';
import type { Finding } from '../../core/model.ts';
import type { NodeResult, Rule, RuleContext } from '../rule.ts';
import { listSome, makeFinding, needsNodes, nodeSource, nodeSubject } from './support/datapath.ts';

const OWNED = /^(KUBE|FLANNEL)-/;
/** kube-proxy's per-Service chains, listed once each kind. */
const PER_SERVICE = /^(KUBE-(?:SVC|SEP|EXT|FW|XLB|SVL))-\w+$/;

/** KUBE-* / FLANNEL-* rules in a dump: their count and the chains they sit in (`table/chain`). */
function owned(dump: IptablesDump): { rules: number; chains: string[] } {
  let rules = 0;
  const chains = new Set<string>();
  for (const t of Object.values(dump.tables)) {
    for (const r of t.rules) {
      if (OWNED.test(r.chain) || (r.target !== undefined && OWNED.test(r.target))) {
        rules++;
        if (OWNED.test(r.chain)) chains.add(`${t.name}/${r.chain.replace(PER_SERVICE, '$1-*')}`);
      }
    }
  }
  return { rules, chains: [...chains].sort() };
}

/** Kubernetes and CNI rules must all live in one iptables backend. */
export const nodeIptablesBackendMixed: Rule = {
  id: 'node-iptables-backend-mixed',
  layer: 'node',
  title: 'One iptables backend',
  why: 'Legacy and nft rules are separate tables evaluated one after the other; rules split between them (kube-proxy in one, the CNI or kubelet in the other) drop or mis-NAT traffic.',
  appliesTo: needsNodes,
  runNode: (_ctx: RuleContext, dp: NodeDatapath): NodeResult => {
    const name = dp.name;
    if (!dp.iptablesNft || !dp.iptablesLegacy)
      return { skipped: 'iptables-legacy and iptables-nft not both collected' };
    const out: Finding[] = [];
    if (!dp.iptablesNft || !dp.iptablesLegacy) return out;
    const nft = owned(dp.iptablesNft);
    const legacy = owned(dp.iptablesLegacy);
    if (nft.rules === 0 || legacy.rules === 0) return out;
    out.push(
      makeFinding(nodeIptablesBackendMixed, nodeSubject(name), {
        severity: 'error',
        summary: `${name} has KUBE-/FLANNEL- rules in both iptables-legacy (${legacy.rules}) and iptables-nft (${nft.rules})`,
        evidence: [
          {
            source: nodeSource(name, 'iptablesLegacy'),
            observed: `${legacy.rules} rules in ${listSome(legacy.chains, 6)}`,
            expected: 'all KUBE-/FLANNEL- rules in one backend',
          },
          {
            source: nodeSource(name, 'iptablesNft'),
            observed: `${nft.rules} rules in ${listSome(nft.chains, 6)}`,
          },
        ],
        cause: {
          category: 'node.iptables-backend-mixed',
          confidence: 0.85,
          remediation: ['align-iptables-backend'],
        },
        nextCommands: [
          'iptables-legacy-save | grep -c -E "KUBE-|FLANNEL-"',
          'iptables-nft-save | grep -c -E "KUBE-|FLANNEL-"',
          'update-alternatives --query iptables',
        ],
      }),
    );

    return out;
  },
};
