/**
 * The model of `netdoctor perf`: which node pairs are measured, which iperf3 tests run for each,
 * and what came back. Every test's outcome is a discriminated union, so a pod that could not
 * start is a row with its reason, never a missing key or a thrown error.
 */

/** A node's name as the API server spells it; branded so a pod name or an IP cannot stand in for it. */
export type NodeName = string & { readonly __brand: 'NodeName' };

/** Marks a string the cluster itself listed as a node name. */
export function nodeName(name: string): NodeName {
  return name as NodeName;
}

/**
 * Where the iperf3 endpoints run: `pod` puts both in ordinary pods, so traffic crosses the CNI's
 * overlay; `host` puts both in hostNetwork pods talking to the node's InternalIP, the underlay
 * the overlay is built on. The difference between the two is the overlay's cost.
 */
export type PerfMode = 'pod' | 'host';
/** TCP measures throughput and retransmits; UDP, at a fixed rate, loss and jitter. */
export type PerfProtocol = 'tcp' | 'udp';

/** `forward`: the pair's `from` node sends; `reverse` (iperf3 -R): the `to` node sends. */
export type PerfDirection = 'forward' | 'reverse';
/** Forward first: the order tests run and rows print in. */
export const PERF_DIRECTIONS: readonly PerfDirection[] = ['forward', 'reverse'];

/** One test of a pair, stable in output: `pod-tcp-forward`, `host-udp-reverse`, ... */
export type PerfTestId = `${PerfMode}-${PerfProtocol}-${PerfDirection}`;

/** The id of one test of a pair. */
export function perfTestId(mode: PerfMode, protocol: PerfProtocol, direction: PerfDirection): PerfTestId {
  return `${mode}-${protocol}-${direction}`;
}

/** Two nodes measured against each other; the client runs on `from`, the iperf3 server on `to`. */
export interface NodePair {
  from: NodeName;
  to: NodeName;
}

/** Figures of one TCP test, from the receiver's side (what arrived, not what was pushed). */
export interface TcpFigures {
  protocol: 'tcp';
  /** Received throughput in Mbit/s (10^6 bit/s). */
  mbps: number;
  /** Segments the sender retransmitted; absent when the sender's kernel did not say. */
  retransmits?: number;
  seconds: number;
}

/** Figures of one UDP test at a fixed target rate. */
export interface UdpFigures {
  protocol: 'udp';
  /** The rate iperf3 was asked to send at, Mbit/s. */
  targetMbps: number;
  /** Received throughput, Mbit/s. */
  mbps: number;
  lostPackets: number;
  packets: number;
  lossPercent: number;
  jitterMs: number;
  seconds: number;
}

/** A test's figures, by protocol. */
export type PerfFigures = TcpFigures | UdpFigures;

/** What one test came to. `error`: it ran (or tried to) and failed; `skipped`: it never ran, and why. */
export type PerfOutcome =
  | { status: 'ok'; figures: PerfFigures }
  | { status: 'error'; error: string }
  | { status: 'skipped'; reason: string };

/** One iperf3 test of a pair and what it came to. */
export interface PerfTestResult {
  id: PerfTestId;
  mode: PerfMode;
  protocol: PerfProtocol;
  direction: PerfDirection;
  /** The node that sent in this test (the client's node, or the server's under -R). */
  sender: NodeName;
  receiver: NodeName;
  outcome: PerfOutcome;
}

/** The overlay's share of the cost in one direction: (host - pod) / host, in percent. */
export type OverlayCost = { status: 'measured'; percent: number } | { status: 'unknown'; reason: string };

/** One direction of a pair, the figures side by side. */
export interface DirectionSummary {
  direction: PerfDirection;
  sender: NodeName;
  receiver: NodeName;
  /** TCP throughput over the pod network, Mbit/s. */
  podMbps?: number;
  /** TCP throughput host to host over the underlay, Mbit/s. */
  hostMbps?: number;
  overlayCost: OverlayCost;
  podRetransmits?: number;
  hostRetransmits?: number;
  podUdpLossPercent?: number;
  hostUdpLossPercent?: number;
  podUdpJitterMs?: number;
  hostUdpJitterMs?: number;
}

/** A measured pair: the summary per direction and every test behind it. */
export interface PerfPairResult {
  from: NodeName;
  to: NodeName;
  /** The two directions, forward first. */
  summary: DirectionSummary[];
  tests: PerfTestResult[];
}

/** The whole run, as `-o json` prints it. */
export interface PerfReport {
  kind: 'netdoctor-perf';
  schemaVersion: 1;
  startedAt: string;
  durationMs: number;
  /** Seconds each iperf3 test ran for. */
  testSeconds: number;
  image: string;
  namespace: string;
  pairs: PerfPairResult[];
  /** Pairs --all-pairs found but --limit left out. */
  leftOut: NodePair[];
  /** Nodes not measured at all, each with the reason (not Ready). */
  skippedNodes: { node: NodeName; reason: string }[];
  /** True when every planned test produced figures. */
  complete: boolean;
}
