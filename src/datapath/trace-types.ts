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
    })
  | (HopCommon & { kind: 'node-route'; dst: string; route?: string; dev?: string; via?: string })
  | (HopCommon & {
      kind: 'filter';
      table: string;
      chain: string;
      verdict: 'accept' | 'drop' | 'reject' | 'unknown';
      rule?: string;
    })
  | (HopCommon & {
      kind: 'vxlan-neighbour';
      dev: string;
      gateway: string;
      mac?: string;
      expectedMac?: string;
    })
  | (HopCommon & { kind: 'vxlan-fdb'; dev: string; mac: string; remote?: string; expectedRemote?: string })
  | (HopCommon & { kind: 'underlay'; from?: string; to: string; dev?: string; port?: number })
  | (HopCommon & { kind: 'peer-node'; peer: string })
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
