/**
 * nftables mode only: kube-proxy's `ip kube-proxy` table deleted by hand on a node (a firewall
 * reset, `nft flush ruleset` in a node script). kube-proxy's next partial sync puts back the
 * skeleton but only the Services that changed since, so ClusterIPs stop translating there.
 */
import type { Fault } from './fault.ts';
import { dispatches, restartKubeProxyOn, webClusterIp } from './kube-proxy-ops.ts';

export const nftTableDeleted: Fault = {
  id: 'nft-table-deleted',
  summary: "delete kube-proxy's nftables table (ip kube-proxy) by hand on a node",
  expectedRootCause: 'proxy.rules-missing',
  scope: 'node',
  proxyMode: 'nftables',
  inject: async (ctx) => {
    ctx.onNode(ctx.node, 'nft delete table ip kube-proxy');
    return { ip: webClusterIp(ctx) };
  },
  heal: async (ctx, data) => restartKubeProxyOn(ctx, data['ip'] ?? ''),
  residue: (ctx, data) =>
    dispatches(ctx, data['ip'] ?? '')
      ? []
      : [`${ctx.node.name}: kube-proxy's table does not dispatch ${data['ip']}`],
};
