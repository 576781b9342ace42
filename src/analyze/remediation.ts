/**
 * Repair step ids the rules of this folder name in their cause claims; remediate/steps
 * implements steps under the same ids.
 */
import type { StepId } from '../core/step-id.ts';

export const STEP = {
  reinstallCni: 'reinstall-cni',
  restartCniAgent: 'restart-cni-agent',
  restartKubeProxy: 'restart-kube-proxy',
  restartCoredns: 'restart-coredns',
  scaleCoredns: 'scale-coredns',
  fixCorednsUpstream: 'fix-coredns-upstream',
  fixCorefile: 'fix-corefile',
  fixServiceSelector: 'fix-service-selector',
  restartKubelet: 'restart-kubelet',
} as const satisfies Record<string, StepId>;
