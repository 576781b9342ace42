/**
 * Seed 000: a host firewall drops VXLAN (UDP 8472) between two nodes, so pods on those nodes
 * cannot reach each other while everything else works.
 */
import { NET } from '../topology.ts';
import { type Fault, matchingLines } from './fault.ts';

function rules(peerIp: string): string[] {
  return [
    `INPUT -p udp --dport ${NET.vxlanPort} -s ${peerIp} -j DROP`,
    `OUTPUT -p udp --dport ${NET.vxlanPort} -d ${peerIp} -j DROP`,
  ];
}

export const vxlanPortBlocked: Fault = {
  id: 'vxlan-port-blocked',
  summary: `drop UDP ${NET.vxlanPort} between a node and a peer node`,
  expectedRootCause: 'overlay.port-blocked',
  scope: 'node',
  inject: async (ctx) => {
    ctx.onNode(
      ctx.node,
      rules(ctx.peer.ip)
        .map((r) => `iptables -I ${r}`)
        .join(' && '),
    );
    return { peerIp: ctx.peer.ip };
  },
  heal: async (ctx, data) => {
    // Every copy: a repair that was rolled back may have put a rule back beside one a writer restored.
    for (const r of rules(data['peerIp'] ?? ctx.peer.ip))
      ctx.tryOnNode(ctx.node, `while iptables -D ${r} 2>/dev/null; do :; done`);
  },
  residue: (ctx) =>
    matchingLines(
      ctx,
      ctx.node,
      'iptables-nft-save -t filter; iptables-legacy-save -t filter',
      new RegExp(`--dport ${NET.vxlanPort} .*-j DROP`),
    ),
};
