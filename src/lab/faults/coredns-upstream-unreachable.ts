/**
 * Seed 001: CoreDNS forwards to an upstream that does not answer, so every name outside the
 * cluster fails while cluster names still resolve. The address is in the lab's own outside
 * subnet and assigned to nothing, so the queries never leave the lab.
 */
import { corefile } from '../addons/coredns.ts';
import type { Fault } from './fault.ts';

export const UNREACHABLE_UPSTREAM = '203.0.113.99';

const GET_COREFILE = ['-n', 'kube-system', 'get', 'configmap', 'coredns', '-o', 'jsonpath={.data.Corefile}'];

export const corednsUpstreamUnreachable: Fault = {
  id: 'coredns-upstream-unreachable',
  summary: `point CoreDNS's forward at ${UNREACHABLE_UPSTREAM}, where nothing answers`,
  expectedRootCause: 'dns.upstream-unreachable',
  scope: 'cluster',
  inject: async (ctx) => {
    const saved = ctx.kubectl(GET_COREFILE);
    ctx.kubectl([
      '-n',
      'kube-system',
      'patch',
      'configmap',
      'coredns',
      '--type=merge',
      '-p',
      JSON.stringify({ data: { Corefile: corefile(UNREACHABLE_UPSTREAM) } }),
    ]);
    ctx.kubectl(['-n', 'kube-system', 'rollout', 'restart', 'deployment/coredns']);
    ctx.kubectl(['-n', 'kube-system', 'rollout', 'status', 'deployment/coredns', '--timeout=180s']);
    return { corefile: saved };
  },
  heal: async (ctx, data) => {
    ctx.kubectl([
      '-n',
      'kube-system',
      'patch',
      'configmap',
      'coredns',
      '--type=merge',
      '-p',
      JSON.stringify({ data: { Corefile: data['corefile'] ?? corefile() } }),
    ]);
    ctx.kubectl(['-n', 'kube-system', 'rollout', 'restart', 'deployment/coredns']);
    ctx.kubectl(['-n', 'kube-system', 'rollout', 'status', 'deployment/coredns', '--timeout=180s']);
  },
  residue: (ctx) => {
    const now = ctx.tryKubectl(GET_COREFILE);
    return now.stdout.includes(UNREACHABLE_UPSTREAM)
      ? [`the Corefile still forwards to ${UNREACHABLE_UPSTREAM}`]
      : [];
  },
};
