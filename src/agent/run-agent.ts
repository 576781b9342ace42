/**
 * The agent's loop: every interval, one look at its node (the node script and the node rules)
 * and one round of probes to k peers, then probes of cluster DNS and the API server where the
 * node's Service rules send them (every ClusterIP, and k endpoints of each in turn), then the
 * metrics and the summary. A look that is still
 * running when the next interval starts is not started twice; stopping (the signal) ends the
 * loop after the current step.
 */
import type { AgentMetrics } from './agent-metrics.ts';
import type { AgentSummary } from './agent-summary.ts';
import { checkNode, findingsOfNode } from './node-check.ts';
import { PEER_PROBE_KINDS, type PeerProbeResult, probePeer } from './peer-probe.ts';
import { type AgentPeer, peersThisRound } from './peers.ts';
import { probeService } from './service-probe.ts';
import { targetsThisRound } from './service-targets.ts';

export interface AgentOptions {
  node: string;
  /** Every agent (this one may be among them), re-read each round. */
  agents: () => Promise<AgentPeer[]>;
  /** Peers probed per round. */
  k: number;
  intervalMs: number;
  /** The peer agents' port, probed by TCP. */
  port: number;
  probeTimeoutMs: number;
  /** The cluster's DNS domain: cluster DNS is asked for `kubernetes.default.svc.<domain>`. */
  clusterDomain: string;
  /** How the node script runs: `['sh', '-s']` on the node, `ip netns exec` in tests. */
  shell: readonly string[];
  hostRoot: string;
  nodeTimeoutMs: number;
  /** Rounds to run; unbounded when undefined. */
  rounds?: number;
  signal?: AbortSignal;
  /** Called after every round; the next round's wait starts once it resolves. */
  onRound?: (s: AgentSummary) => void | Promise<void>;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** One round: the node check and the peer probes run side by side. */
export async function agentRound(
  o: AgentOptions,
  round: number,
  metrics: AgentMetrics,
): Promise<AgentSummary> {
  const [check, probes] = await Promise.all([
    checkNode({ node: o.node, shell: o.shell, hostRoot: o.hostRoot, timeoutMs: o.nodeTimeoutMs }),
    (async (): Promise<PeerProbeResult[]> => {
      const peers = peersThisRound(o.node, await o.agents(), o.k, round);
      const runs = peers.flatMap((p) =>
        PEER_PROBE_KINDS.map((kind) =>
          probePeer(p, kind, { port: o.port, timeoutMs: o.probeTimeoutMs, count: 3 }),
        ),
      );
      return Promise.all(runs);
    })(),
  ]);
  // After the look at the node: the Services are probed where this node's own rules send them,
  // every ClusterIP and k endpoints of each a round.
  const targets = targetsThisRound(check.services?.targets ?? [], o.node, round, o.k);
  const services = await Promise.all(
    targets.map((t) =>
      probeService(t, { timeoutMs: o.probeTimeoutMs, dnsName: `kubernetes.default.svc.${o.clusterDomain}` }),
    ),
  );
  const servicesNotProbed = check.services
    ? check.services.unresolved
    : (['kube-dns', 'kubernetes'] as const).map((service) => ({
        service,
        detail: "not probed: this node's datapath could not be read",
      }));
  const findings = findingsOfNode(check.report, o.node);
  const notCollected = [
    ...new Set(check.report.rules.flatMap((r) => ('notCollected' in r ? (r.notCollected ?? []) : []))),
  ]
    // The agent reads no cluster lists by design; what it names are the node's own parts.
    .filter((p) => !/^(cluster|probes|nodes)\//.test(p))
    .sort();
  // One node in the bundle: a rule that passed or failed without a missing input judged it.
  const judged = check.report.rules
    .filter((r) => (r.status === 'pass' || r.status === 'fail') && (r.notCollected ?? []).length === 0)
    .map((r) => r.rule)
    .sort();
  const nodeGaps = check.gaps.filter((g) => g.node !== undefined);
  metrics.nodeCheck(
    findings,
    check.facts,
    check.facts !== undefined && nodeGaps.length === 0,
    check.durationMs / 1000,
  );
  for (const p of probes) metrics.probe(p);
  for (const s of services) metrics.serviceProbe(s);
  metrics.roundDone(round + 1);
  return {
    node: o.node,
    round,
    at: new Date().toISOString(),
    findings,
    judged,
    facts: check.facts,
    gaps: nodeGaps,
    notCollected,
    probes,
    services,
    servicesNotProbed,
  };
}

/** Runs rounds until the signal or the round count says stop. */
export async function runAgent(o: AgentOptions, metrics: AgentMetrics): Promise<void> {
  for (let round = 0; o.rounds === undefined || round < o.rounds; round++) {
    if (o.signal?.aborted) return;
    const started = performance.now();
    const summary = await agentRound(o, round, metrics);
    await o.onRound?.(summary);
    const last = o.rounds !== undefined && round + 1 >= o.rounds;
    if (!last) await sleep(Math.max(0, o.intervalMs - (performance.now() - started)), o.signal);
  }
}
