/**
 * A node's own configuration changed under Kubernetes: a sysctl reset by a hardening profile, or
 * the CNI configuration file removed (a config-management run that "owns" /etc/cni/net.d).
 */
import { type Shape, theNode } from '../shape.ts';

const CNI_CONF = '/etc/cni/net.d/10-flannel.conflist';
/** Where the removed file waits for heal: beside the directory, so no CNI runtime reads it. */
const CNI_CONF_AWAY = '/etc/cni/10-flannel.conflist.ndlab-removed';

function sysctlShape(
  variant: string,
  key: string,
  broken: string,
  category: Shape['category'],
  what: string,
): Shape {
  const file = `/proc/sys/${key.replaceAll('.', '/')}`;
  return {
    id: `sysctl/${variant}`,
    layer: 'node',
    category,
    scope: 'node',
    subjects: theNode,
    summary: (node) => `${what} on ${node.name} (${key}=${broken})`,
    inject: async (ctx) => {
      const old = ctx.onNode(ctx.node, `cat ${file}`).trim();
      ctx.onNode(ctx.node, `sysctl -q -w ${key}=${broken}`);
      return { old };
    },
    heal: async (ctx, data) => {
      ctx.tryOnNode(ctx.node, `sysctl -q -w ${key}=${data['old'] ?? '1'}`);
    },
    residue: (ctx, data) => {
      const v = ctx.tryOnNode(ctx.node, `cat ${file}`).stdout.trim();
      return v === (data['old'] ?? '1') ? [] : [`${ctx.node.name}: ${key} = ${v || '?'}`];
    },
  };
}

export const NODE_CONFIG_SHAPES: Shape[] = [
  sysctlShape(
    'bridge-nf-off',
    'net.bridge.bridge-nf-call-iptables',
    '0',
    'node.bridge-nf-disabled',
    'bridged pod traffic skips iptables',
  ),
  {
    id: 'cni/config-removed',
    layer: 'cni',
    category: 'cni.config-missing',
    scope: 'node',
    subjects: theNode,
    summary: (node) => `the CNI configuration file is removed from ${node.name}`,
    inject: async (ctx) => {
      ctx.onNode(ctx.node, `mv ${CNI_CONF} ${CNI_CONF_AWAY}`);
      return {};
    },
    heal: async (ctx) => {
      ctx.tryOnNode(
        ctx.node,
        `[ -e ${CNI_CONF} ] || mv ${CNI_CONF_AWAY} ${CNI_CONF}; rm -f ${CNI_CONF_AWAY}`,
      );
    },
    residue: (ctx) =>
      ctx.tryOnNode(ctx.node, `test -s ${CNI_CONF}`).code === 0
        ? []
        : [`${ctx.node.name}: ${CNI_CONF} is missing`],
  },
];
