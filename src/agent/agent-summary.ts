/**
 * What one agent knows after a round, compact enough to send to the controller every interval:
 * its node's findings and facts (not the raw files), what it could not collect, and the probes
 * to its peers, cluster DNS and the API server this round.
 */
import type { Finding, Gap } from '../core/model.ts';
import type { NodeFacts } from './node-check.ts';
import type { PeerProbeResult } from './peer-probe.ts';
import type { ServiceProbeResult } from './service-probe.ts';
import type { ClusterServiceId } from './service-targets.ts';

export interface AgentSummary {
  node: string;
  round: number;
  /** When the round ended (ISO 8601). */
  at: string;
  findings: Finding[];
  /**
   * The rules that judged this node this round (passed or failed on it): a finding of one of
   * them that the agent no longer reports is gone, which the controller may believe.
   */
  judged: string[];
  /** Undefined when the node's datapath could not be read at all. */
  facts: NodeFacts | undefined;
  /** What the look at the node could not collect: the node's verdict is unknown where these are. */
  gaps: Gap[];
  /** Rules that could not judge the node for want of a node part. */
  notCollected: string[];
  probes: PeerProbeResult[];
  /**
   * Cluster DNS and the API server probed this round, by ClusterIP and at each endpoint. Absent
   * from agents older than these probes, as is `servicesNotProbed`.
   */
  services?: ServiceProbeResult[];
  /** The Services this round could not probe, and why (no rules for them on the node, the node unread). */
  servicesNotProbed?: { service: ClusterServiceId; detail: string }[];
}
