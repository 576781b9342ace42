import type { NodeDatapath } from '../../core/datapath-types.ts';
import type { Evidence, Finding } from '../../core/model.ts';
import type { NodeResult, Rule, RuleContext } from '../rule.ts';
import {
  kubeProxyMode,
  lacksPart,
  makeFinding,
  needsNodes,
  nodeSource,
  nodeSubject,
  perAnalysis,
} from './support/datapath.ts';

const KEY = 'net.bridge.bridge-nf-call-iptables';

const kubeProxyNodes = perAnalysis(
  (ctx) => new Set(ctx.index.kubeProxyPods.map((p) => p.spec.nodeName).filter((n): n is string => !!n)),
);

/** kube-proxy in iptables mode needs bridged pod traffic to traverse iptables (br_netfilter). */
export const nodeBridgeNfDisabled: Rule = {
  id: 'node-bridge-nf-disabled',
  layer: 'node',
  needs: { cluster: ['pods', 'daemonSets'], node: ['sysctls'] },
  title: 'br_netfilter and bridge-nf-call-iptables',
  why: 'Without br_netfilter, traffic between pods on the same bridge skips iptables, so Service DNAT replies bypass conntrack and same-node Service calls (DNS included) time out.',
  appliesTo: (ctx) => {
    const { mode, source } = kubeProxyMode(ctx);
    if (mode === 'none') return { applies: false, reason: 'kube-proxy does not run in this cluster' };
    if (mode !== 'iptables')
      return { applies: false, reason: `kube-proxy runs in ${mode} mode (${source}), not iptables` };
    return needsNodes(ctx);
  },
  runNode: (ctx: RuleContext, dp: NodeDatapath): NodeResult => {
    const name = dp.name;
    const skip = lacksPart(dp, 'sysctls');
    if (skip) return skip;
    const proxyNodes = kubeProxyNodes(ctx);
    const out: Finding[] = [];
    if (!proxyNodes.has(name) || !dp.sysctls) return out;
    const v = dp.sysctls[KEY];
    const evidence: Evidence[] = [];
    if (v !== undefined) {
      if (v.trim() !== '0') return out;
      evidence.push({
        source: nodeSource(name, 'sysctls'),
        observed: `${KEY} = 0`,
        expected: `${KEY} = 1`,
      });
    } else {
      if (!dp.modules || dp.modules.includes('br_netfilter')) return out;
      evidence.push(
        {
          source: nodeSource(name, 'modules'),
          observed: 'br_netfilter is not loaded',
          expected: 'br_netfilter loaded',
        },
        { source: nodeSource(name, 'sysctls'), observed: `${KEY} does not exist`, expected: `${KEY} = 1` },
      );
    }
    out.push(
      makeFinding(nodeBridgeNfDisabled, nodeSubject(name), {
        severity: 'error',
        summary:
          v === undefined
            ? `br_netfilter is not loaded on ${name}, so bridged pod traffic skips iptables`
            : `${KEY} is 0 on ${name}, so bridged pod traffic skips iptables`,
        evidence,
        cause: { category: 'node.bridge-nf-disabled', confidence: 0.85, remediation: ['enable-bridge-nf'] },
        nextCommands: ['lsmod | grep br_netfilter', `sysctl ${KEY}`],
      }),
    );

    return out;
  },
};
