import type { NodeDatapath } from '../../core/datapath-types.ts';
import type { Finding } from '../../core/model.ts';
import { nodeProxyMode } from '../../datapath/node-proxy-mode.ts';
import { STEP } from '../remediation.ts';
import type { NodeResult, Rule, RuleContext } from '../rule.ts';
import { makeFinding, nodeSource, nodeSubject } from './support/datapath.ts';
import { configuredProxyMode, needsProxyRules } from './support/node-proxy.ts';

const OTHER_COMMANDS: Record<'iptables' | 'nftables', string> = {
  iptables: 'iptables-save -t nat | grep -c "^-A KUBE-SERVICES"',
  nftables: 'nft list map ip kube-proxy service-ips',
};

/**
 * A node running kube-proxy in one mode while still holding the other mode's Service rules:
 * kube-proxy deletes them when it starts in its new mode (1.29+), so their presence means the
 * cleanup failed or never ran. The kernel runs both: the frozen set still DNATs Service
 * traffic, to endpoints as they were at the switch.
 */
export const proxyStaleRuleset: Rule = {
  id: 'proxy-stale-ruleset',
  layer: 'proxy',
  needs: { cluster: ['pods'] },
  title: 'No Service rules left from another kube-proxy mode',
  why: 'After switching kube-proxy between iptables and nftables mode, rules of the old mode that were not cleaned up keep translating ClusterIPs to endpoints that may be gone, so Service traffic fails intermittently or goes to the wrong pods.',
  appliesTo: needsProxyRules,
  runNode: (ctx: RuleContext, dp: NodeDatapath): NodeResult => {
    if (!dp.nftRuleset && !dp.iptablesNft && !dp.iptablesLegacy)
      return { skipped: 'neither iptables nor the nft ruleset was collected' };
    // Without both views a leftover cannot be told from a live set.
    if (!dp.nftRuleset) return { skipped: 'nft ruleset not collected' };
    if (!dp.iptablesNft && !dp.iptablesLegacy) return { skipped: 'iptables not collected' };
    const mode = nodeProxyMode(dp, configuredProxyMode(ctx, dp.name));
    if (mode.status !== 'detected' || !mode.leftover?.programmed) return [];
    const { rules, leftover } = mode;
    const name = dp.name;
    const finding: Finding = makeFinding(proxyStaleRuleset, nodeSubject(name), {
      severity: 'error',
      summary: `${name} runs kube-proxy in ${rules.mode} mode but still holds ${leftover.mode}-mode Service rules`,
      evidence: [
        {
          source: nodeSource(name, leftover.source),
          observed: leftover.observed,
          expected: `no ${leftover.mode === 'iptables' ? 'KUBE-SERVICES chain' : 'kube-proxy table'}: kube-proxy removes the other mode's rules when it starts`,
        },
        {
          source: nodeSource(name, rules.source),
          observed: `${rules.observed} (live${mode.basis === 'configured' ? ', as configured' : ''})`,
        },
      ],
      cause: {
        category: 'proxy.stale-ruleset',
        // Both sets translate; which wins depends on hook registration order, so the harm is
        // likely but not certain.
        confidence: 0.75,
        remediation: [STEP.restartKubeProxy],
      },
      detail: `Restarting kube-proxy (1.29 or later) deletes the ${leftover.mode}-mode rules; an older kube-proxy needs \`kube-proxy --cleanup --proxy-mode=${leftover.mode}\` on the node first.`,
      nextCommands: [OTHER_COMMANDS[leftover.mode], OTHER_COMMANDS[rules.mode]],
    });
    return [finding];
  },
};
