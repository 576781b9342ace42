/**
 * Pure planning for `netdoctor perf`: which node pairs, which tests, in what order, and the
 * bounds (pairs, seconds) the run must stay within. No I/O: run-perf.ts carries a plan out.
 */
import type { K8sNode } from '../core/cluster-types.ts';
import type { ClientRun } from './iperf-commands.ts';
import {
  type NodeName,
  type NodePair,
  nodeName,
  PERF_DIRECTIONS,
  type PerfDirection,
  type PerfMode,
  type PerfProtocol,
  type PerfTestId,
  type PerfTestResult,
  perfTestId,
} from './types.ts';

/** --all-pairs without --limit measures at most this many pairs. */
export const DEFAULT_PAIR_LIMIT = 6;
/** --duration bounds and default, in seconds. */
export const MIN_TEST_SECONDS = 1;
/** Longer tests say little more and hold a link busy; iperf3's own default is 10 s. */
export const MAX_TEST_SECONDS = 60;
/** Long enough for TCP to leave slow start on a LAN, short enough for eight tests a pair. */
export const DEFAULT_TEST_SECONDS = 5;

/** Which pairs the user asked for. */
export type PairSelection = { kind: 'pair'; from: string; to: string } | { kind: 'all-pairs'; limit: number };

/** What planning needs of a node. */
export interface PlanNode {
  name: NodeName;
  internalIp?: string;
  ready: boolean;
}

/** The nodes as planning sees them, from the API's node list. */
export function planNodes(nodes: readonly K8sNode[]): PlanNode[] {
  return nodes
    .map((n) => {
      const ip = n.status.addresses?.find((a) => a.type === 'InternalIP')?.address;
      const ready = n.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
      return { name: nodeName(n.metadata.name), ready, ...(ip ? { internalIp: ip } : {}) };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * One client pod's work: both directions of one protocol in one mode, forward then reverse.
 * UDP steps follow their mode's TCP step, whose result sets the UDP rate.
 */
export interface PerfStep {
  pair: NodePair;
  mode: PerfMode;
  protocol: PerfProtocol;
  tests: { id: PerfTestId; direction: PerfDirection }[];
}

/** What a run does, in order; run-perf.ts carries it out. */
export interface PerfPlan {
  pairs: NodePair[];
  leftOut: NodePair[];
  skippedNodes: { node: NodeName; reason: string }[];
  /** Nodes that need iperf3 servers: every pair's `to`. */
  serverNodes: NodeName[];
  steps: PerfStep[];
  testSeconds: number;
}

/** A plan, or why the selection cannot be planned (a usage error naming what is wrong). */
export type PlanResult = { ok: true; plan: PerfPlan } | { ok: false; error: string };

/**
 * The order of --all-pairs: neighbours first (1-2, 2-3, 3-4, ...), then pairs two apart, and
 * so on, so even a small --limit touches every node once before it measures any node twice.
 * Both directions of a pair are measured (iperf3 -R), so a pair is unordered.
 */
export function allPairsInOrder(nodes: readonly NodeName[]): NodePair[] {
  const out: NodePair[] = [];
  for (let d = 1; d < nodes.length; d++)
    for (let i = 0; i + d < nodes.length; i++) out.push({ from: nodes[i]!, to: nodes[i + d]! });
  return out;
}

/** The steps for one pair: pod network first, then the underlay; TCP before UDP in each. */
export function stepsFor(pair: NodePair): PerfStep[] {
  const steps: PerfStep[] = [];
  for (const mode of ['pod', 'host'] as const)
    for (const protocol of ['tcp', 'udp'] as const)
      steps.push({
        pair,
        mode,
        protocol,
        tests: PERF_DIRECTIONS.map((direction) => ({ id: perfTestId(mode, protocol, direction), direction })),
      });
  return steps;
}

/** Plans the run, or says which node names do not exist. */
export function planPerf(
  nodes: readonly PlanNode[],
  selection: PairSelection,
  testSeconds: number,
): PlanResult {
  const known = new Map(nodes.map((n) => [n.name as string, n]));
  let pairs: NodePair[];
  let leftOut: NodePair[] = [];
  const skippedNodes: PerfPlan['skippedNodes'] = [];
  if (selection.kind === 'pair') {
    const missing = [selection.from, selection.to].filter((n) => !known.has(n));
    if (missing.length > 0)
      return {
        ok: false,
        error: `no node named ${[...new Set(missing)].join(' or ')} in the cluster (nodes: ${
          nodes.map((n) => n.name).join(', ') || 'none'
        })`,
      };
    if (selection.from === selection.to)
      return {
        ok: false,
        error: `--from and --to are the same node (${selection.from}); perf measures between two nodes`,
      };
    pairs = [{ from: nodeName(selection.from), to: nodeName(selection.to) }];
  } else {
    const ready: NodeName[] = [];
    for (const n of nodes) {
      if (n.ready) ready.push(n.name);
      else skippedNodes.push({ node: n.name, reason: 'not Ready' });
    }
    if (ready.length < 2)
      return { ok: false, error: `--all-pairs needs two Ready nodes; the cluster has ${ready.length}` };
    const all = allPairsInOrder(ready);
    pairs = all.slice(0, selection.limit);
    leftOut = all.slice(selection.limit);
  }
  const serverNodes = [...new Set(pairs.map((p) => p.to))];
  return {
    ok: true,
    plan: { pairs, leftOut, skippedNodes, serverNodes, steps: pairs.flatMap(stepsFor), testSeconds },
  };
}

/** UDP's rate: this share of the TCP rate in the same direction, capped (see udpTargetMbps). */
export const UDP_SHARE_OF_TCP = 0.5;
/** The most UDP is ever sent at, Mbit/s (see udpTargetMbps for why). */
export const UDP_MAX_MBPS = 100;
/** UDP's rate when the TCP test of the same path has no figure, Mbit/s. */
export const UDP_FALLBACK_MBPS = 100;

/**
 * UDP measures loss and jitter at a load the path should carry, not capacity: half of what TCP
 * moved in the same direction, at most 100 Mbit/s. iperf3 sends and receives UDP in one thread,
 * and past a few hundred Mbit/s its own ends drop datagrams, which would read as network loss:
 * between two namespaces on a veth that carried 4-10 Gbit/s of TCP, iperf3 3.12 lost 14 % at
 * 200 Mbit/s and 20-40 % at 500-1000, and nothing at 100. Without a TCP figure (that test
 * failed) it sends 100 Mbit/s too.
 */
export function udpTargetMbps(tcpMbps: number | undefined): number {
  if (tcpMbps === undefined || !(tcpMbps > 0)) return UDP_FALLBACK_MBPS;
  return Math.max(1, Math.min(UDP_MAX_MBPS, Math.round(tcpMbps * UDP_SHARE_OF_TCP)));
}

/** A pod's typical start, for the estimate only. */
const POD_START_SECONDS = 5;

/** Roughly how long the plan takes, in seconds: each step's pod start and its two tests. */
export function estimateSeconds(plan: PerfPlan): number {
  return plan.steps.length * (POD_START_SECONDS + (plan.testSeconds + 1) * 2 + 4) + 15;
}

/** The TCP figure of the same pair, mode and direction, which sets a UDP test's rate. */
export function tcpMbpsOf(
  earlier: readonly PerfTestResult[],
  mode: PerfMode,
  direction: PerfDirection,
): number | undefined {
  const t = earlier.find((r) => r.mode === mode && r.protocol === 'tcp' && r.direction === direction);
  return t?.outcome.status === 'ok' ? t.outcome.figures.mbps : undefined;
}

/**
 * The iperf3 runs of one step against its server: forward, then reverse (-R); a UDP step's
 * rate comes from `earlier`, the pair's results so far.
 */
export function clientRunsFor(
  step: PerfStep,
  server: { address: string; port: number },
  testSeconds: number,
  earlier: readonly PerfTestResult[],
): ClientRun[] {
  return step.tests.map((t) => ({
    id: t.id,
    server: server.address,
    port: server.port,
    seconds: testSeconds,
    reverse: t.direction === 'reverse',
    ...(step.protocol === 'udp'
      ? { udpMbps: udpTargetMbps(tcpMbpsOf(earlier, step.mode, t.direction)) }
      : {}),
  }));
}
