/**
 * Seed 001: kube-proxy's ConfigMap is edited into something it cannot load; the pods that
 * restart (here: the workers') crash-loop, the ones still running keep the old config.
 */
import type { Fault } from './fault.ts';
import { deleteKubeProxyPod, readKubeProxyConfig, writeKubeProxyConfig } from './kube-proxy-ops.ts';

/** The mode line of a config, for the residue check. */
function modeLine(conf: string): string {
  return /^mode:.*$/m.exec(conf)?.[0] ?? '(no mode)';
}

export const kubeProxyCrashloop: Fault = {
  id: 'kube-proxy-crashloop',
  summary: "break kube-proxy's ConfigMap and restart it on the workers, which then crash-loop",
  expectedRootCause: 'proxy.not-ready',
  scope: 'cluster',
  inject: async (ctx) => {
    const saved = readKubeProxyConfig(ctx.kubectl);
    // A mode kube-proxy does not know (`iptable`, `nftable`): it refuses to start.
    const broken = saved.replace(/^mode: (\w+)s$/m, 'mode: $1');
    if (broken === saved) throw new Error(`kube-proxy's config has no mode line to break:\n${saved}`);
    writeKubeProxyConfig(ctx.kubectl, broken);
    for (const n of ctx.topology.nodes.filter((x) => x.role === 'worker'))
      deleteKubeProxyPod(ctx.kubectl, n.name);
    return { config: saved };
  },
  heal: async (ctx, data) => {
    writeKubeProxyConfig(ctx.kubectl, data['config'] ?? '');
    ctx.kubectl(['-n', 'kube-system', 'rollout', 'restart', 'ds/kube-proxy']);
    ctx.kubectl(['-n', 'kube-system', 'rollout', 'status', 'ds/kube-proxy', '--timeout=180s']);
  },
  residue: (ctx, data) => {
    // A residue check never throws: a failed read is an empty config, whose mode differs.
    const now = modeLine(readKubeProxyConfig((args) => ctx.tryKubectl(args).stdout));
    const was = modeLine(data['config'] ?? '');
    return now === was ? [] : [`ConfigMap kube-system/kube-proxy says ${now}, was ${was}`];
  },
};
