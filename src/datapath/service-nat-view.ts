/**
 * A node's Service translation, whichever kube-proxy mode programmed it: for each
 * ClusterIP:port/protocol, the entry that dispatches it, the chain that handles it and the DNAT
 * targets it can reach, plus whether the dispatch is hooked into prerouting and output at all.
 * Rules and the tracer judge this view, so iptables and nftables nodes are judged alike.
 */
import type { NodeFileKey } from '../collect/bundle/layout.ts';

/** The kube-proxy modes whose rules netdoctor can read. */
export type ProxyDataplane = 'iptables' | 'nftables';

/** One DNAT target of a Service port. */
export interface ServiceNatEndpoint {
  ip: string;
  port?: number;
  /** KUBE-SEP-* or `endpoint-<hash>-...`. */
  chain: string;
  /** The DNAT rule, as the dump shows it (for evidence). */
  rule: string;
}

/** How one ClusterIP:port/protocol is translated. */
export interface ServiceNatEntry {
  ip: string;
  port: number;
  protocol: string;
  /** The dispatch entry, as the dump shows it: `-A KUBE-SERVICES ...` or `10.96.0.10 . udp . 53 : goto service-...`. */
  entry: string;
  /** KUBE-SVC-* / KUBE-EXT-* or `service-<hash>-<ns>/<name>/<proto>/<port>`. */
  chain: string;
  /** Every endpoint the chain can pick; empty when the chain has no endpoint rule left. */
  endpoints: ServiceNatEndpoint[];
}

/** A Service port kube-proxy knows to have no endpoints, and what it does with its packets. */
export interface NoEndpointEntry {
  ip: string;
  port: number;
  protocol: string;
  /** `reject`, `drop`, `goto reject-chain` ... */
  verdict: string;
  /** As the dump shows it. */
  entry: string;
}

/** A node's Service translation in one mode; see the module comment. */
export interface ServiceNatView {
  mode: ProxyDataplane;
  /** The node file the view was read from, for evidence. */
  source: NodeFileKey;
  /**
   * Whether the dispatch point exists: nat KUBE-SERVICES with rules, or kube-proxy's table with
   * its `services` chain looking up `service-ips`.
   */
  dispatch: boolean;
  /** What is missing from the dispatch when it is absent, as evidence text. */
  dispatchMissing?: string;
  /** Whether prerouting (pod and external traffic) and output (host traffic) reach the dispatch. */
  hooks: { prerouting: boolean; output: boolean };
  /** Keyed by {@link natKey}. */
  entries: Map<string, ServiceNatEntry>;
  /** Keyed by {@link natKey}. */
  noEndpoints: Map<string, NoEndpointEntry>;
}

/** `10.96.0.10:53/udp`: the key of a Service port in a view. */
export function natKey(ip: string, port: number | string, protocol: string): string {
  return `${ip}:${port}/${protocol.toLowerCase()}`;
}

/** The ClusterIPs a view has at least one dispatch entry for. */
export function dispatchedIps(view: ServiceNatView): Set<string> {
  const ips = new Set<string>();
  for (const e of view.entries.values()) ips.add(e.ip);
  return ips;
}
