/**
 * Seed 000: the node's MASQUERADE for pod traffic leaving the cluster is gone, so egress to the
 * outside world leaves with pod source addresses that nobody routes back. flannel re-creates
 * its own rules when they disappear, so the outage is what survives that: a rule put ahead of
 * flannel's chain (an old firewall script) that returns pod egress before it is masqueraded.
 */
import { NET } from '../topology.ts';
import type { Fault } from './fault.ts';

export const MASQ_BYPASS = `-s ${NET.podCidr} ! -d ${NET.podCidr} -j RETURN`;

export const masqueradeRemoved: Fault = {
  id: 'masquerade-removed',
  summary: "pod egress on a node is no longer masqueraded (flannel's MASQUERADE deleted and bypassed)",
  expectedRootCause: 'node.masquerade-missing',
  scope: 'node',
  inject: async (ctx) => {
    ctx.onNode(
      ctx.node,
      `iptables -t nat -S FLANNEL-POSTRTG | grep -- '-j MASQUERADE' | sed 's/^-A/-D/' | while read -r r; do eval iptables -t nat $r; done; ` +
        `iptables -t nat -I POSTROUTING 1 ${MASQ_BYPASS}`,
    );
    return {};
  },
  heal: async (ctx) => {
    ctx.tryOnNode(ctx.node, `while iptables -t nat -D POSTROUTING ${MASQ_BYPASS} 2>/dev/null; do :; done`);
    // flannel restores its MASQUERADE rules itself; a restart makes sure it has.
    ctx.kubectl([
      '-n',
      'kube-flannel',
      'delete',
      'pod',
      '-l',
      'app=flannel',
      '--field-selector',
      `spec.nodeName=${ctx.node.name}`,
    ]);
    ctx.kubectl(['-n', 'kube-flannel', 'rollout', 'status', 'ds/kube-flannel-ds', '--timeout=120s']);
  },
  residue: (ctx) => {
    const nat = ctx.tryOnNode(ctx.node, 'iptables-nft-save -t nat').stdout;
    const left = nat.split('\n').filter((l) => l.startsWith('-A POSTROUTING ') && l.includes('-j RETURN'));
    return [
      ...left.map((l) => `${ctx.node.name}: ${l}`),
      ...(/-A FLANNEL-POSTRTG .*-j MASQUERADE/.test(nat)
        ? []
        : [`${ctx.node.name}: no MASQUERADE in FLANNEL-POSTRTG`]),
    ];
  },
};
