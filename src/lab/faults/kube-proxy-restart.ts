/**
 * How the nftables-mode faults are healed: kube-proxy on the node is restarted, and a kube-proxy
 * that starts does a full sync (its table and every Service rewritten) and deletes the other
 * mode's rules. The heal waits until the new pod runs and its table serves the demo Service again.
 */
import { DEMO_NAMESPACE } from '../addons/demo.ts';
import type { FaultContext } from './fault.ts';

/** The demo web Service's ClusterIP, the Service these faults take from a node. */
export function webClusterIp(ctx: FaultContext): string {
  return ctx
    .kubectl(['-n', DEMO_NAMESPACE, 'get', 'service', 'web', '-o', 'jsonpath={.spec.clusterIP}'])
    .trim();
}

/** Whether the node's kube-proxy table dispatches `ip` (an element of its service-ips map). */
export function dispatches(ctx: FaultContext, ip: string): boolean {
  const r = ctx.tryOnNode(ctx.node, 'nft list map ip kube-proxy service-ips 2>/dev/null');
  return r.code === 0 && r.stdout.includes(`${ip} . tcp . 80 `);
}

export async function restartKubeProxyOn(ctx: FaultContext, ip: string): Promise<void> {
  ctx.kubectl([
    '-n',
    'kube-system',
    'delete',
    'pod',
    '-l',
    'k8s-app=kube-proxy',
    '--field-selector',
    `spec.nodeName=${ctx.node.name}`,
    '--wait=true',
  ]);
  ctx.kubectl(['-n', 'kube-system', 'rollout', 'status', 'ds/kube-proxy', '--timeout=120s']);
  for (let i = 0; i < 60 && !dispatches(ctx, ip); i++) await new Promise((r) => setTimeout(r, 1000));
}
