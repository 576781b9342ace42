/** A broken Corefile needs a person's edit; netdoctor names the line, it does not guess a Corefile. */
import { manualStep } from '../manual-step.ts';

export const fixCorefile = manualStep({
  id: 'fix-corefile',
  title: 'Fix the CoreDNS Corefile',
  phase: 'coredns',
  order: 52,
  handles: ['dns.config-invalid'],
  reason: (i) => `the Corefile needs a reviewed edit: ${i.causes.map((c) => c.summary).join('; ')}`,
  commands: () => [
    'kubectl -n kube-system edit configmap coredns',
    'kubectl -n kube-system rollout restart deployment/coredns',
  ],
});
