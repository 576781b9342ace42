/** The cluster add-ons, applied in this order after the control plane is up. */
import type { Addon } from './addon.ts';
import { corednsManifest } from './coredns.ts';
import { demoManifest } from './demo.ts';
import { flannelManifest } from './flannel.ts';
import { kubeProxyManifest } from './kube-proxy.ts';
import { kubeRouterManifest } from './kube-router.ts';

export const ADDONS: Addon[] = [
  { id: 'kube-proxy', manifest: kubeProxyManifest },
  { id: 'flannel', manifest: flannelManifest },
  { id: 'coredns', manifest: corednsManifest },
  { id: 'kube-router', manifest: kubeRouterManifest },
  { id: 'demo', manifest: demoManifest },
];
