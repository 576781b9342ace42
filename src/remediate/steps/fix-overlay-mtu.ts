/** Overlay MTU must fit the underlay minus VXLAN's 50 bytes; the CNI config owns it. */
import { manualStep } from '../manual-step.ts';

export const fixOverlayMtu = manualStep({
  id: 'fix-overlay-mtu',
  title: 'Fit the overlay MTU to the underlay',
  phase: 'cni-agent',
  order: 33,
  handles: ['overlay.mtu-mismatch'],
  reason: (i) =>
    `not automated yet: the underlay path MTU must be confirmed before the CNI's MTU is lowered (${i.causes.map((c) => c.summary).join('; ')})`,
  commands: () => [
    'kubectl -n kube-flannel edit configmap kube-flannel-cfg   # set the backend MTU to the underlay MTU - 50',
    'kubectl -n kube-flannel rollout restart daemonset/kube-flannel-ds',
  ],
});
