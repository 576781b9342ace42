/**
 * Seed 001: kube-proxy's ConfigMap is edited into something it cannot load; the pods that
 * restart (here: the workers') crash-loop, the ones still running keep the old config.
 */
import type { Fault } from './fault.ts';

const GET_CONFIG = [
  '-n',
  'kube-system',
  'get',
  'configmap',
  'kube-proxy',
  '-o',
  'jsonpath={.data.config\\.conf}',
];

export const kubeProxyCrashloop: Fault = {
  id: 'kube-proxy-crashloop',
  summary: "break kube-proxy's ConfigMap and restart it on the workers, which then crash-loop",
  expectedRootCause: 'proxy.not-ready',
  scope: 'cluster',
  inject: async (ctx) => {
    const saved = ctx.kubectl(GET_CONFIG);
    // A mode kube-proxy does not know (`iptable`, `nftable`): it refuses to start.
    const broken = saved.replace(/^mode: (\w+)s$/m, 'mode: $1');
    if (broken === saved) throw new Error(`kube-proxy's config has no mode line to break:\n${saved}`);
    ctx.kubectl([
      '-n',
      'kube-system',
      'patch',
      'configmap',
      'kube-proxy',
      '--type=merge',
      '-p',
      JSON.stringify({ data: { 'config.conf': broken } }),
    ]);
    for (const n of ctx.topology.nodes.filter((x) => x.role === 'worker')) {
      ctx.kubectl([
        '-n',
        'kube-system',
        'delete',
        'pod',
        '-l',
        'k8s-app=kube-proxy',
        '--field-selector',
        `spec.nodeName=${n.name}`,
      ]);
    }
    return { config: saved };
  },
  heal: async (ctx, data) => {
    ctx.kubectl([
      '-n',
      'kube-system',
      'patch',
      'configmap',
      'kube-proxy',
      '--type=merge',
      '-p',
      JSON.stringify({ data: { 'config.conf': data['config'] } }),
    ]);
    ctx.kubectl(['-n', 'kube-system', 'rollout', 'restart', 'ds/kube-proxy']);
    ctx.kubectl(['-n', 'kube-system', 'rollout', 'status', 'ds/kube-proxy', '--timeout=180s']);
  },
  residue: (ctx, data) => {
    const mode = (conf: string) => /^mode:.*$/m.exec(conf)?.[0] ?? '(no mode)';
    const now = ctx.tryKubectl(GET_CONFIG);
    return mode(now.stdout) === mode(data['config'] ?? '')
      ? []
      : [`ConfigMap kube-system/kube-proxy says ${mode(now.stdout)}, was ${mode(data['config'] ?? '')}`];
  },
};
