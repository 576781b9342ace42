/**
 * nftables mode only: the iptables-mode Service rules a switch to nftables left on a node (the
 * old kube-proxy never ran its cleanup), frozen as they were: KUBE-SERVICES still hooked from
 * PREROUTING and OUTPUT, translating the demo web Service's ClusterIP to an endpoint that has
 * since gone. The kernel runs both rule sets.
 */
import { NET } from '../topology.ts';
import { type Fault, matchingLines } from './fault.ts';
import { restartKubeProxyOn, webClusterIp } from './kube-proxy-ops.ts';

/** Chain names as iptables-mode kube-proxy makes them for demo/web:http. */
const SVC = 'KUBE-SVC-NDLABSTALEWEB0001';
const SEP = 'KUBE-SEP-NDLABSTALEWEB0001';

/** An address in the node's pod subnet that no pod has: the endpoint of long ago. */
function goneEndpoint(podCidr: string): string {
  return podCidr.replace(/\.0\/24$/, '.249');
}

export const staleIptablesAfterSwitch: Fault = {
  id: 'stale-iptables-after-switch',
  summary: 'leave iptables-mode Service rules (KUBE-SERVICES, hooked) beside kube-proxy in nftables mode',
  expectedRootCause: 'proxy.stale-ruleset',
  scope: 'node',
  proxyMode: 'nftables',
  inject: async (ctx) => {
    const ip = webClusterIp(ctx);
    const cidr = ctx.kubectl(['get', 'node', ctx.node.name, '-o', 'jsonpath={.spec.podCIDR}']).trim();
    const ep = goneEndpoint(cidr);
    const rules = [
      '*nat',
      ':KUBE-SERVICES - [0:0]',
      ':KUBE-POSTROUTING - [0:0]',
      ':KUBE-MARK-MASQ - [0:0]',
      `:${SVC} - [0:0]`,
      `:${SEP} - [0:0]`,
      '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
      '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
      '-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000',
      `-A KUBE-SERVICES -d ${ip}/32 -p tcp -m comment --comment "demo/web:http cluster IP" -m tcp --dport 80 -j ${SVC}`,
      `-A ${SVC} ! -s ${NET.podCidr} -d ${ip}/32 -p tcp -m comment --comment "demo/web:http cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ`,
      `-A ${SVC} -m comment --comment "demo/web:http -> ${ep}:8080" -j ${SEP}`,
      `-A ${SEP} -s ${ep}/32 -m comment --comment "demo/web:http" -j KUBE-MARK-MASQ`,
      `-A ${SEP} -p tcp -m comment --comment "demo/web:http" -m tcp -j DNAT --to-destination ${ep}:8080`,
      'COMMIT',
      '',
    ].join('\n');
    ctx.onNode(ctx.node, `printf '%s' '${rules}' | iptables-nft-restore --noflush`);
    return { ip };
  },
  heal: async (ctx, data) => restartKubeProxyOn(ctx, data['ip'] ?? ''),
  residue: (ctx) =>
    matchingLines(ctx, ctx.node, 'iptables-nft-save -t nat', /KUBE-SERVICES|KUBE-SVC-|KUBE-SEP-/),
};
