/**
 * The mode the lab's kube-proxy programs Services in. nftables mode went GA in Kubernetes 1.33
 * and is beta (on by default) from 1.31; before that its feature gate must be turned on.
 */
export const LAB_PROXY_MODES = ['iptables', 'nftables'] as const;
export type LabProxyMode = (typeof LAB_PROXY_MODES)[number];

/** The first minor release whose kube-proxy runs nftables mode without a feature gate. */
const NFTABLES_ON_BY_DEFAULT_MINOR = 31;

/** The kube-proxy feature gates a mode needs on a Kubernetes version (`v1.30.14`). */
export function kubeProxyFeatureGates(mode: LabProxyMode, k8sVersion: string): Record<string, boolean> {
  const minor = Number(/^v?1\.(\d+)\./.exec(k8sVersion)?.[1] ?? Number.NaN);
  return mode === 'nftables' && minor < NFTABLES_ON_BY_DEFAULT_MINOR ? { NFTablesProxyMode: true } : {};
}

/** The mode of a lab state written before the mode could be chosen: iptables, as it always was. */
export function labProxyMode(state: { proxyMode?: LabProxyMode }): LabProxyMode {
  return state.proxyMode ?? 'iptables';
}
