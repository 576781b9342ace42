import { OWNED_CHAINS_GREP, OWNED_CHAINS_LABEL } from '../../cni/index.ts';
import { owned } from '../../cni/owned-chains.ts';
import type { IptablesDump, NodeDatapath } from '../../core/datapath-types.ts';
import type { Finding } from '../../core/model.ts';
import type { NodeResult, Rule, RuleContext } from '../rule.ts';
import { listSome, makeFinding, needsNodes, nodeSource, nodeSubject } from './support/datapath.ts';

const BUILTIN_CHAINS = new Set(['INPUT', 'OUTPUT', 'FORWARD', 'PREROUTING', 'POSTROUTING']);
const BLOCKING = new Set(['DROP', 'REJECT', 'DNAT', 'REDIRECT']);

/**
 * What a backend does to traffic: its rules, and the built-in chains whose policy is not ACCEPT.
 * Docker, firewalld or an old kube-proxy writing to the other backend leave exactly this.
 */
function active(dump: IptablesDump): { rules: string[]; policies: string[]; blocking: boolean } {
  const rules: string[] = [];
  const policies: string[] = [];
  let blocking = false;
  for (const t of Object.values(dump.tables)) {
    for (const [chain, policy] of Object.entries(t.chains)) {
      if (BUILTIN_CHAINS.has(chain) && policy !== '-' && policy.toUpperCase() !== 'ACCEPT') {
        policies.push(`${t.name} ${chain} policy ${policy}`);
        blocking = true;
      }
    }
    for (const r of t.rules) {
      rules.push(`${t.name}: -A ${r.chain} ${r.spec}`);
      if (r.target && BLOCKING.has(r.target)) blocking = true;
    }
  }
  return { rules, policies, blocking };
}

/** Kubernetes and CNI rules must all live in one iptables backend. */
export const nodeIptablesBackendMixed: Rule = {
  id: 'node-iptables-backend-mixed',
  layer: 'node',
  needs: { node: ['iptablesLegacy', 'iptablesNft'] },
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
    if (nft.rules === 0 && legacy.rules === 0) return out;
    if (nft.rules === 0 || legacy.rules === 0) {
      // The cluster's rules sit in one backend; anything active in the other one still sees
      // every packet, since the kernel runs both backends' hooks.
      const [used, other, otherKey, otherLabel] =
        nft.rules > 0
          ? (['iptables-nft', dp.iptablesLegacy, 'iptablesLegacy', 'iptables-legacy'] as const)
          : (['iptables-legacy', dp.iptablesNft, 'iptablesNft', 'iptables-nft'] as const);
      const a = active(other);
      if (a.rules.length === 0 && a.policies.length === 0) return out;
      out.push(
        makeFinding(nodeIptablesBackendMixed, nodeSubject(name), {
          severity: a.blocking ? 'error' : 'warning',
          summary: `${name}: kube-proxy and the CNI use ${used}, but ${otherLabel} holds ${a.rules.length} rules${a.policies.length > 0 ? ` and ${a.policies.join(', ')}` : ''} that every packet also passes`,
          evidence: [
            {
              source: nodeSource(name, otherKey),
              observed: listSome([...a.policies, ...a.rules], 6),
              expected: `${otherLabel} empty (every ${OWNED_CHAINS_LABEL} rule is in ${used})`,
            },
          ],
          cause: {
            category: 'node.iptables-backend-mixed',
            confidence: a.blocking ? 0.85 : 0.6,
            remediation: ['align-iptables-backend'],
          },
          nextCommands: [`${otherLabel}-save`, 'update-alternatives --query iptables'],
        }),
      );
      return out;
    }
    out.push(
      makeFinding(nodeIptablesBackendMixed, nodeSubject(name), {
        severity: 'error',
        summary: `${name} has ${OWNED_CHAINS_LABEL} rules in both iptables-legacy (${legacy.rules}) and iptables-nft (${nft.rules})`,
        evidence: [
          {
            source: nodeSource(name, 'iptablesLegacy'),
            observed: `${legacy.rules} rules in ${listSome(legacy.chains, 6)}`,
            expected: `all ${OWNED_CHAINS_LABEL} rules in one backend`,
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
          `iptables-legacy-save | grep -c -E "${OWNED_CHAINS_GREP}"`,
          `iptables-nft-save | grep -c -E "${OWNED_CHAINS_GREP}"`,
          'update-alternatives --query iptables',
        ],
      }),
    );

    return out;
  },
};
