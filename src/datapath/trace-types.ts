/**
 * The path tracer's query and result. A result is the ordered hops a packet takes through the
 * snapshot, each with a status and the evidence behind it; the walk stops at the first broken
 * hop, whose reason names the route, rule or entry at fault.
 */
import type { Evidence } from '../core/model.ts';

export const TRACE_PROTOCOLS = ['tcp', 'udp', 'icmp'] as const;
export type TraceProtocol = (typeof TRACE_PROTOCOLS)[number];

export interface TraceQuery {
  /** `ns/pod` or an IP address. */
  from: string;
  /** `ns/pod`, an IP address, or `svc/NS/NAME`. */
  to: string;
  port?: number;
  protocol?: TraceProtocol;
  /**
   * The packet is the answer of an established connection (the reply path): conntrack says
   * ESTABLISHED, nat is not consulted, and `port` is the answering side's port, so rules on the
   * destination port cannot be judged.
   */
  reply?: boolean;
}

export type HopStatus = 'ok' | 'broken' | 'unknown';

interface HopCommon {
  status: HopStatus;
  /** The node the hop happens on (absent for cluster-level hops). */
  node?: string;
  /** One line saying what happens at this hop. */
  summary: string;
  /** Why the hop is broken or cannot be judged; set unless status is `ok`. */
  reason?: string;
  evidence: Evidence[];
}

/** The hops, by kind; `kind` is the discriminant. */
export type TraceHop =
  | (HopCommon & { kind: 'source-pod'; pod?: string; ip: string; hostNetwork: boolean })
  | (HopCommon & { kind: 'veth-bridge'; bridge?: string; iface?: string })
  | (HopCommon & {
      kind: 'service-dnat';
      service: string;
      clusterIP: string;
      port: number;
      protocol: TraceProtocol;
      chain?: string;
      /** All endpoints the Service chain balances over (`ip:port`). */
      endpoints: string[];
      /** The endpoint the trace follows. */
      endpoint?: string;
      /** Why a broken translation broke: no KUBE-SERVICES chain, no rule for the Service, no endpoints. */
      problem?: 'no-chain' | 'no-rule' | 'no-endpoints';
    })
  | (HopCommon & {
      kind: 'node-route';
      dst: string;
      route?: string;
      dev?: string;
      via?: string;
      /** The `ip rule` that chose the table (or discarded the packet), when not the main table's default. */
      policyRule?: string;
      /** Set when reverse-path filtering drops the packet on its way in. */
      rpFilter?: true;
      /** Set when the node does not forward at all (net.ipv4.ip_forward = 0). */
      forwardingOff?: true;
      /** The subnet a route was wanted for (the peer's pod subnet), for a missing or wrong route. */
      want?: string;
    })
  | (HopCommon & {
      kind: 'filter';
      table: string;
      chain: string;
      verdict: 'accept' | 'drop' | 'reject' | 'unknown';
      rule?: string;
      /** The iptables backend the deciding rule sits in. */
      backend?: 'iptables-nft' | 'iptables-legacy' | 'nftables';
      /** Set when that is not the backend kube-proxy programs (the node's rules are split). */
      inactiveBackend?: boolean;
    })
  | (HopCommon & {
      kind: 'vxlan-neighbour';
      dev: string;
      gateway: string;
      mac?: string;
      expectedMac?: string;
    })
  | (HopCommon & { kind: 'vxlan-fdb'; dev: string; mac: string; remote?: string; expectedRemote?: string })
  | (HopCommon & {
      kind: 'underlay';
      from?: string;
      to: string;
      dev?: string;
      port?: number;
      /** Set when a firewall hook drops the encapsulated packet on its way out. */
      vxlanBlocked?: true;
    })
  | (HopCommon & {
      kind: 'peer-node';
      peer: string;
      /** Set when a firewall hook drops the encapsulated packet on its way in. */
      vxlanBlocked?: true;
      /** Set when the packet is sent to another node (or no node) than the one its address lives on. */
      misdirected?: true;
    })
  | (HopCommon & {
      kind: 'egress-nat';
      /** The nat POSTROUTING rule that decided (`-A CHAIN spec`); absent when the policy did. */
      rule?: string;
      masqueraded: boolean;
    })
  | (HopCommon & { kind: 'delivered'; ip: string; port?: number; pod?: string });

export type TraceHopKind = TraceHop['kind'];

export interface TraceEndpointInfo {
  input: string;
  ip: string;
  node?: string;
  pod?: string;
  service?: string;
}

export interface TraceResult {
  query: TraceQuery;
  from: TraceEndpointInfo;
  to: TraceEndpointInfo;
  /** `delivered` when every hop is ok; otherwise the status of the hop where the walk stopped. */
  status: 'delivered' | 'broken' | 'unknown';
  hops: TraceHop[];
  /** The hop where the walk stopped (broken or unknown), by index into `hops`. */
  stoppedAt?: number;
  reason?: string;
  /**
   * For a Service with several endpoints: how the walk to each went. `hops` is the first
   * broken walk (else the first unknown, else the first endpoint's).
   */
  endpoints?: { endpoint: string; status: TraceResult['status']; reason?: string }[];
}
