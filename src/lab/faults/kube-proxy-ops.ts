/**
 * What the kube-proxy faults do to kube-proxy: read and write its ConfigMap's config, and restart
 * it on one node. A kube-proxy that starts does a full sync (its table and every Service
 * rewritten) and deletes the other mode's rules: that is how the nftables-mode faults heal.
 */
import { DEMO_NAMESPACE } from '../addons/demo.ts';
import type { FaultContext } from './fault.ts';

/** Runs kubectl and returns its output, throwing when it fails (a fault's `ctx.kubectl`, or a test's). */
export type Kubectl = (args: readonly string[]) => string;

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

/** kube-proxy's configuration (config.conf of its ConfigMap). */
export function readKubeProxyConfig(kubectl: Kubectl): string {
  return kubectl([
    '-n',
    'kube-system',
    'get',
    'configmap',
    'kube-proxy',
    '-o',
    'jsonpath={.data.config\\.conf}',
  ]);
}

export function writeKubeProxyConfig(kubectl: Kubectl, config: string): void {
  kubectl([
    '-n',
    'kube-system',
    'patch',
    'configmap',
    'kube-proxy',
    '--type=merge',
    '-p',
    JSON.stringify({ data: { 'config.conf': config } }),
  ]);
}

/** Deletes the kube-proxy pod on `node`; its DaemonSet starts another. */
export function deleteKubeProxyPod(kubectl: Kubectl, node: string): void {
  kubectl([
    '-n',
    'kube-system',
    'delete',
    'pod',
    '-l',
    'k8s-app=kube-proxy',
    '--field-selector',
    `spec.nodeName=${node}`,
  ]);
}

/** Deletes the kube-proxy pod on `node` and waits until its DaemonSet is rolled out again. */
export function restartKubeProxyPod(kubectl: Kubectl, node: string): void {
  deleteKubeProxyPod(kubectl, node);
  kubectl(['-n', 'kube-system', 'rollout', 'status', 'ds/kube-proxy', '--timeout=120s']);
}

/** Restarts kube-proxy on the fault's node and waits until its table dispatches `ip` again. */
export async function restartKubeProxyOn(ctx: FaultContext, ip: string): Promise<void> {
  restartKubeProxyPod(ctx.kubectl, ctx.node.name);
  for (let i = 0; i < 60 && !dispatches(ctx, ip); i++) await new Promise((r) => setTimeout(r, 1000));
}
