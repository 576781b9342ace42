import type { NodeDatapath } from '../../core/datapath-types.ts';
import type { Finding } from '../../core/model.ts';
import { KUBE_PROXY_TABLE } from '../../datapath/kube-proxy-nft.ts';
import { nodeProxyMode } from '../../datapath/node-proxy-mode.ts';
import { clusterItemState } from '../item-lookup.ts';
import { STEP } from '../remediation.ts';
import type { NodeResult, Rule, RuleContext } from '../rule.ts';
import { listSome, makeFinding, nodeSource, nodeSubject } from './support/datapath.ts';
import { configuredProxyMode, needsProxyRules } from './support/node-proxy.ts';

const OTHER_COMMANDS: Record<'iptables' | 'nftables', string> = {
  iptables: 'iptables-save -t nat | grep -c "^-A KUBE-SERVICES"',
  nftables: 'nft list map ip kube-proxy service-ips',
};

/** `--to-destination 10.244.2.9:8080` (a range or several: the first address). */
const TO_DESTINATION = /--to-destination \[?([0-9a-f.:]+?)\]?(?::\d+)?(?:[-\s]|$)/i;

/**
 * The DNAT destinations of the leftover set that no pod and no EndpointSlice has: endpoints
 * that are gone, so traffic the frozen set catches goes nowhere. Empty when the cluster's pods
 * or EndpointSlices were not collected (nothing to compare with).
 */
function goneEndpoints(ctx: RuleContext, dp: NodeDatapath, leftover: 'iptables' | 'nftables'): string[] {
  if (clusterItemState(ctx.snapshot, 'endpointSlices').state !== 'collected') return [];
  if (clusterItemState(ctx.snapshot, 'pods').state !== 'collected') return [];
  const known = new Set<string>();
  for (const p of ctx.snapshot.cluster.pods) {
    if (p.status.podIP) known.add(p.status.podIP);
    for (const ip of p.status.podIPs ?? []) known.add(ip.ip);
  }
  for (const sl of ctx.snapshot.cluster.endpointSlices)
    for (const ep of sl.endpoints ?? []) for (const a of ep.addresses) known.add(a);
  const targets = new Set<string>();
  if (leftover === 'iptables') {
    for (const dump of [dp.iptablesNft, dp.iptablesLegacy])
      for (const r of dump?.tables['nat']?.rules ?? []) {
        // kube-proxy's endpoint chains only: a portmap or hostPort DNAT is not the frozen set.
        const m = r.target === 'DNAT' && r.chain.startsWith('KUBE-SEP-') ? TO_DESTINATION.exec(r.spec) : null;
        if (m?.[1]) targets.add(m[1]);
      }
  } else {
    for (const r of dp.nftRuleset?.rules ?? [])
      if (r.table === KUBE_PROXY_TABLE)
        for (const st of r.statements ?? []) if (st.kind === 'dnat' && st.addr) targets.add(st.addr);
  }
  return [...targets].filter((t) => !known.has(t)).sort();
}

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
    const gone = goneEndpoints(ctx, dp, leftover.mode);
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
        ...(gone.length > 0
          ? [
              {
                source: nodeSource(name, leftover.source),
                observed: `the ${leftover.mode}-mode rules translate to ${listSome(gone, 3)}, which no pod and no EndpointSlice has`,
                expected: 'Service traffic translated only to endpoints that exist',
              },
            ]
          : []),
      ],
      cause: {
        category: 'proxy.stale-ruleset',
        // Both sets translate; which wins depends on hook registration order, so the harm is
        // likely but not certain, unless the frozen set sends traffic to endpoints long gone.
        confidence: gone.length > 0 ? 0.85 : 0.75,
        remediation: [STEP.restartKubeProxy],
      },
      detail: `Restarting kube-proxy (1.29 or later) deletes the ${leftover.mode}-mode rules; an older kube-proxy needs \`kube-proxy --cleanup --proxy-mode=${leftover.mode}\` on the node first.`,
      nextCommands: [OTHER_COMMANDS[leftover.mode], OTHER_COMMANDS[rules.mode]],
    });
    return [finding];
  },
};
