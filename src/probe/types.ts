/**
 * The probe plan's vocabulary. A plan is pure data computed from the cluster and the options;
 * the runner resolves its symbolic targets (a node's probe server, the probe Service) to
 * addresses once those objects exist, and the client pods execute it.
 */
import type { ProbeScenario } from '../core/probe-types.ts';

/** A node as the planner sees it. */
export interface PlanNode {
  name: string;
  /** The node's InternalIP (NodePort target, VXLAN underlay peer). */
  internalIp?: string;
}

/** An application pod's port, probed over HTTP from every node. */
export interface AppTarget {
  namespace: string;
  pod: string;
  port: number;
  /** The pod's IP; absent when the pod is missing or has none yet (the probe is skipped). */
  ip?: string;
  node?: string;
  /** Why there is no IP, for the skip reason. */
  missing?: string;
}

/** A service outside the cluster whose TLS handshake every node checks (`--tls-target`). */
export interface TlsTarget {
  /** A DNS name (sent as SNI and checked against the certificate) or an IP address. */
  host: string;
  port: number;
}

/** A CoreDNS pod probed directly. */
export interface PlanDnsPod {
  name: string;
  namespace: string;
  ip: string;
  node?: string;
}

/** Everything the planner needs, extracted from ClusterState and ProbeOptions. */
export interface PlanInput {
  /** Sorted by name. */
  nodes: PlanNode[];
  dnsPods: PlanDnsPod[];
  dnsService?: { name: string; namespace: string; clusterIP: string };
  /** The probe Service netdoctor creates (name and namespace are known before it exists). */
  probeService: { name: string; namespace: string };
  /** Port the probe servers listen on (TCP, HTTP). */
  serverPort: number;
  /** In-cluster name every DNS probe resolves. */
  clusterName: string;
  /** External name resolved through cluster DNS, when configured. */
  externalName?: string;
  /** External URL fetched from every node, when configured. */
  externalTarget?: string;
  /** Application pods fetched over HTTP from every node (`validate --target`, seed 002). */
  appTargets?: AppTarget[];
  /** Services outside the cluster whose TLS handshake each node checks. */
  tlsTargets?: TlsTarget[];
  /** Nodes up to which every node probes every other node. */
  fullMeshLimit: number;
  /** Peers per node per round above fullMeshLimit. */
  maxPeers: number;
  /** Which round of the bounded fan-out this run covers. */
  round: number;
}

/** Where a probe goes, symbolically; resolved by the runner. */
export type TargetRef =
  | { kind: 'server'; node: string }
  | { kind: 'service' }
  | { kind: 'nodeport'; node: string; ip: string }
  | { kind: 'fixed'; ip: string; node?: string; pod?: string; namespace?: string };

/** What the client script runs for a probe. */
export type ClientCommand =
  | { kind: 'icmp' }
  | { kind: 'http'; port: number; path: string; tries: number; url?: string }
  | { kind: 'dns'; name: string; proto: 'udp' | 'tcp' }
  /** Don't-fragment ping; payload = pod MTU - 28 + delta, measured in the pod. */
  | { kind: 'mtu'; delta: number }
  /** A TLS handshake with SNI, the certificate verified against the pod's (or the given) CAs. */
  | { kind: 'tls'; host: string; port: number };

/** One probe of the plan. */
export interface PlannedProbe {
  scenario: ProbeScenario;
  from: string;
  /** The id's tail after `<scenario>/<from>/`. */
  to: string;
  target: TargetRef;
  command: ClientCommand;
  protocol: 'icmp' | 'tcp' | 'udp';
  /** Scenario-specific variant an expectation can key on (MTU: `at` / `above`). */
  variant?: string;
  /** Name for ProbeEndpoint.name (DNS name queried, Service, URL). */
  name?: string;
  /** Set when the probe is not sent at all, with why. */
  skip?: string;
}

/** A scenario: what it sends from one node, given that node's peers this round. */
export interface Scenario {
  id: ProbeScenario;
  description: string;
  plan(input: PlanInput, from: PlanNode, peers: readonly PlanNode[]): PlannedProbe[];
}

/** The whole plan: per source node, in execution order. */
export interface ProbePlan {
  round: number;
  rounds: number;
  peers: Record<string, string[]>;
  probes: PlannedProbe[];
}
