/**
 * kube-proxy's configured mode for one node: the `--proxy-mode` flag of the kube-proxy pod on
 * that node when it has one (per-node DaemonSets during a migration), else the cluster's
 * configuration (support/datapath.ts kubeProxyMode). What the node actually runs is judged from
 * its rules (datapath/node-proxy-mode.ts); this only says what is expected there.
 */
import type { ProxyDataplane } from '../../../datapath/service-nat-view.ts';
import type { Applicability, RuleContext } from '../../rule.ts';
import { allOf, kubeProxyMode, needsNodes, perAnalysis } from './datapath.ts';

const flagByNode = perAnalysis((ctx) => {
  const m = new Map<string, string>();
  for (const p of ctx.index.kubeProxyPods) {
    const node = p.spec.nodeName;
    if (!node) continue;
    for (const c of p.spec.containers) {
      for (const a of [...(c.command ?? []), ...(c.args ?? [])]) {
        const f = /^--proxy-mode=(\w+)/.exec(a);
        if (f?.[1]) m.set(node, f[1]);
      }
    }
  }
  return m;
});

/** The mode kube-proxy is set to run on `node`, when it is one whose rules netdoctor reads. */
export function configuredProxyMode(ctx: RuleContext, node: string): ProxyDataplane | undefined {
  const mode = flagByNode(ctx).get(node) ?? kubeProxyMode(ctx).mode;
  return mode === 'iptables' || mode === 'nftables' ? mode : undefined;
}

/**
 * Applicability of the rules that read kube-proxy's programmed Service rules: it runs, in a mode
 * whose rules netdoctor reads (iptables or nftables), and node datapaths were collected.
 */
export function needsProxyRules(ctx: RuleContext): Applicability {
  const { mode, source } = kubeProxyMode(ctx);
  return allOf(
    mode === 'none'
      ? { applies: false, reason: 'kube-proxy does not run in this cluster' }
      : { applies: true },
    mode === 'iptables' || mode === 'nftables'
      ? { applies: true }
      : {
          applies: false,
          reason: `kube-proxy runs in ${mode} mode (${source}); its rules are neither KUBE-SVC chains nor kube-proxy's nftables table`,
        },
    needsNodes(ctx),
  );
}
