/**
 * kube-proxy's iptables-mode chain structure, as far as it says which chains are the same on
 * every node. kube-proxy programs one dispatch chain (KUBE-SERVICES, KUBE-NODEPORTS) with a jump
 * per Service, and per Service a KUBE-SVC (load balancing), KUBE-SEP per endpoint, and KUBE-EXT /
 * KUBE-FW for external traffic. All of these come from cluster objects alone, so a cluster's nodes
 * hold the same text for them. KUBE-SVL and KUBE-XLB list only the endpoints local to the node
 * (traffic policy Local), so they differ per node and stay with the node's own rules.
 */

/** A chain kube-proxy derives from cluster objects alone: identical on every node that is in sync. */
export const CLUSTER_WIDE_PROXY_CHAIN = /^KUBE-(?:SERVICES|NODEPORTS|(?:SVC|SEP|EXT|FW)-[A-Z0-9]+)$/;

/** Whether `chain` is one of kube-proxy's cluster-wide chains ({@link CLUSTER_WIDE_PROXY_CHAIN}). */
export function isClusterWideProxyChain(chain: string): boolean {
  return CLUSTER_WIDE_PROXY_CHAIN.test(chain);
}

/**
 * kube-proxy's dispatch chains. It writes their rules in Go map order, so two nodes with the same
 * Services hold the same rules in a different order (seen on the lab's own nodes). Each rule
 * matches one ClusterIP, protocol and port, but the order is still kept exactly: stored sorted
 * once, with each node's own order as a permutation.
 */
export const DISPATCH_CHAINS: ReadonlySet<string> = new Set(['KUBE-SERVICES', 'KUBE-NODEPORTS']);
