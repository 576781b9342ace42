/**
 * Seed 001: something on the node (an old container runtime, a host firewall script) writes
 * iptables-legacy rules while kube-proxy and flannel use iptables-nft. Both rule sets apply:
 * the legacy FORWARD policy DROP it brings silently drops pod traffic the nft rules accept.
 */
import { type Fault, matchingLines } from './fault.ts';

export const iptablesBackendMixed: Fault = {
  id: 'iptables-backend-mixed',
  summary: 'legacy iptables rules (FORWARD policy DROP, a stale NAT copy) beside the nft ones on a node',
  expectedRootCause: 'node.iptables-backend-mixed',
  scope: 'node',
  inject: async (ctx) => {
    ctx.onNode(
      ctx.node,
      'iptables-legacy -N DOCKER-USER && iptables-legacy -A FORWARD -j DOCKER-USER && iptables-legacy -P FORWARD DROP && ' +
        'iptables-legacy -t nat -N DOCKER && iptables-legacy -t nat -A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER',
    );
    return {};
  },
  heal: async (ctx) => {
    ctx.tryOnNode(
      ctx.node,
      'for t in filter nat mangle raw; do iptables-legacy -t $t -F; iptables-legacy -t $t -X; done; iptables-legacy -P FORWARD ACCEPT',
    );
  },
  // Empty legacy tables stay registered in the kernel; only rules and non-ACCEPT policies count.
  residue: (ctx) =>
    matchingLines(
      ctx,
      ctx.node,
      'iptables-legacy-save',
      /^-A |^:(INPUT|FORWARD|OUTPUT|PREROUTING|POSTROUTING) (DROP|REJECT)/,
    ),
};
