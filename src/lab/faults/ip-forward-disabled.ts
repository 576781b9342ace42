/** Seed 001: net.ipv4.ip_forward switched off on a node (a hardening script, a sysctl.d file). */
import type { Fault } from './fault.ts';

export const ipForwardDisabled: Fault = {
  id: 'ip-forward-disabled',
  summary: 'sysctl net.ipv4.ip_forward=0 on a node',
  expectedRootCause: 'node.ip-forward-disabled',
  scope: 'node',
  inject: async (ctx) => {
    ctx.onNode(ctx.node, 'sysctl -q -w net.ipv4.ip_forward=0');
    return {};
  },
  heal: async (ctx) => {
    ctx.onNode(ctx.node, 'sysctl -q -w net.ipv4.ip_forward=1');
  },
  residue: (ctx) => {
    const v = ctx.tryOnNode(ctx.node, 'cat /proc/sys/net/ipv4/ip_forward').stdout.trim();
    return v === '1' ? [] : [`${ctx.node.name}: net.ipv4.ip_forward = ${v || '?'}`];
  },
};
