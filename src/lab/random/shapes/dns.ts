/**
 * Cluster DNS broken above the network: a Corefile edit that does not parse (rolled out, so the
 * new replicas crash), CoreDNS scaled to nothing, or the kube-dns Service's selector edited so
 * it selects no pod.
 */
import { corefile } from '../../addons/coredns.ts';
import type { FaultContext } from '../../faults/fault.ts';
import type { Shape } from '../shape.ts';

const NS = ['-n', 'kube-system'];
const GET_COREFILE = [...NS, 'get', 'configmap', 'coredns', '-o', 'jsonpath={.data.Corefile}'];

function setCorefile(ctx: FaultContext, text: string): void {
  ctx.kubectl([
    ...NS,
    'patch',
    'configmap',
    'coredns',
    '--type=merge',
    '-p',
    JSON.stringify({ data: { Corefile: text } }),
  ]);
}

function restartCoredns(ctx: FaultContext, wait: boolean): void {
  ctx.kubectl([...NS, 'rollout', 'restart', 'deployment/coredns']);
  if (wait) ctx.kubectl([...NS, 'rollout', 'status', 'deployment/coredns', '--timeout=180s']);
}

/** A plugin name with a typo: CoreDNS refuses to start on an unknown directive. */
const BROKEN_COREFILE = corefile().replace('    cache 30', '    cahce 30');

export const DNS_SHAPES: Shape[] = [
  {
    id: 'dns/corefile-unparseable',
    layer: 'dns',
    category: 'dns.config-invalid',
    scope: 'cluster',
    subjects: () => [{ kind: 'ConfigMap', name: 'coredns' }],
    summary: () => 'a Corefile edit with a misspelt plugin is rolled out; the new CoreDNS pods crash',
    inject: async (ctx) => {
      const saved = ctx.kubectl(GET_COREFILE);
      setCorefile(ctx, BROKEN_COREFILE);
      restartCoredns(ctx, false);
      return { corefile: saved };
    },
    heal: async (ctx, data) => {
      setCorefile(ctx, data['corefile'] || corefile());
      restartCoredns(ctx, true);
    },
    residue: (ctx) =>
      ctx.tryKubectl(GET_COREFILE).stdout.includes('cahce')
        ? ['the Corefile still has the misspelt plugin']
        : [],
  },
  {
    id: 'dns/coredns-scaled-to-zero',
    layer: 'dns',
    category: 'dns.coredns-not-ready',
    scope: 'cluster',
    subjects: () => [
      { kind: 'Deployment', name: 'coredns' },
      { kind: 'Service', name: 'kube-dns' },
    ],
    summary: () => 'the CoreDNS Deployment is scaled to 0 replicas',
    inject: async (ctx) => {
      const replicas = ctx
        .kubectl([...NS, 'get', 'deployment', 'coredns', '-o', 'jsonpath={.spec.replicas}'])
        .trim();
      ctx.kubectl([...NS, 'scale', 'deployment/coredns', '--replicas=0']);
      return { replicas: replicas || '2' };
    },
    heal: async (ctx, data) => {
      ctx.kubectl([...NS, 'scale', 'deployment/coredns', `--replicas=${data['replicas'] ?? '2'}`]);
      ctx.kubectl([...NS, 'rollout', 'status', 'deployment/coredns', '--timeout=180s']);
    },
    residue: (ctx, data) => {
      const now = ctx
        .tryKubectl([...NS, 'get', 'deployment', 'coredns', '-o', 'jsonpath={.spec.replicas}'])
        .stdout.trim();
      return now === (data['replicas'] ?? '2') ? [] : [`CoreDNS has ${now || '?'} replicas`];
    },
  },
  {
    id: 'dns/service-selector-edited',
    layer: 'dns',
    category: 'dns.service-no-endpoints',
    scope: 'cluster',
    subjects: () => [{ kind: 'Service', name: 'kube-dns' }],
    summary: () => 'the kube-dns Service selector is edited to a label no pod has',
    inject: async (ctx) => {
      ctx.kubectl([
        ...NS,
        'patch',
        'service',
        'kube-dns',
        '--type=merge',
        '-p',
        JSON.stringify({ spec: { selector: { 'k8s-app': 'kube-dsn' } } }),
      ]);
      return {};
    },
    heal: async (ctx) => {
      ctx.kubectl([
        ...NS,
        'patch',
        'service',
        'kube-dns',
        '--type=merge',
        '-p',
        JSON.stringify({ spec: { selector: { 'k8s-app': 'kube-dns' } } }),
      ]);
    },
    residue: (ctx) => {
      const sel = ctx
        .tryKubectl([...NS, 'get', 'service', 'kube-dns', '-o', 'jsonpath={.spec.selector.k8s-app}'])
        .stdout.trim();
      return sel === 'kube-dns' ? [] : [`kube-dns selects k8s-app=${sel || '?'}`];
    },
  },
];
