/**
 * nftables mode only: one Service's element removed from kube-proxy's `service-ips` verdict map
 * on a node. Its service chain and endpoint chains are all still there, but nothing jumps to
 * them: the ClusterIP does not translate on that node, while every other node serves it.
 * kube-proxy's partial syncs rewrite only Services that change, so the hole stays.
 */
import type { Fault } from './fault.ts';
import { dispatches, restartKubeProxyOn, webClusterIp } from './kube-proxy-ops.ts';

export const nftServiceEntryMissing: Fault = {
  id: 'nft-service-entry-missing',
  summary: "remove the demo web Service's element from kube-proxy's service-ips map on a node",
  expectedRootCause: 'proxy.rules-missing',
  scope: 'node',
  proxyMode: 'nftables',
  inject: async (ctx) => {
    const ip = webClusterIp(ctx);
    ctx.onNode(ctx.node, `nft delete element ip kube-proxy service-ips '{ ${ip} . tcp . 80 }'`);
    return { ip };
  },
  heal: async (ctx, data) => restartKubeProxyOn(ctx, data['ip'] ?? ''),
  residue: (ctx, data) =>
    dispatches(ctx, data['ip'] ?? '')
      ? []
      : [`${ctx.node.name}: service-ips has no element for ${data['ip']}`],
};
