/**
 * Child process of bench/kwok-scale.bench.ts: runs exactly the cluster collection of
 * `netdoctor diagnose --node-access none` (collectCluster with its defaults) through a
 * CountingPort, metering the HTTP traffic under it, then plans one round of probes over what it
 * read. A process of its own so its peak RSS is netdoctor's alone, not the populating bench's.
 * Prints one JSON object (CollectFigures) on stdout.
 *
 *   node bench/kwok/collect-child.ts KUBECONFIG [TIMEOUT_MS]
 *
 * TIMEOUT_MS replaces collectCluster's per-list timeout, to see how long a list that does not
 * fit in the default needs.
 */

import { meterApiTraffic } from '../../src/cluster/api-traffic.ts';
import { CountingPort } from '../../src/cluster/counting-port.ts';
import { KubePort, loadKubeConfig } from '../../src/cluster/kube-port.ts';
import { collectCluster } from '../../src/collect/cluster/collect-cluster.ts';
import { planInput, planProbes } from '../../src/probe/plan.ts';

/** What the child measured. */
export interface CollectFigures {
  wallMs: number;
  portCalls: Record<string, number>;
  httpRequests: number;
  /** Requests and response body bytes by `METHOD /path`. */
  byPath: Record<string, { requests: number; bytes: number }>;
  bodyBytes: number;
  compressedResponses: number;
  maxRssMiB: number;
  counts: Record<'nodes' | 'pods' | 'services' | 'endpointSlices' | 'networkPolicies' | 'events', number>;
  gaps: string[];
  plan: {
    ms: number;
    nodes: number;
    rounds: number;
    probes: number;
    perNodeMin: number;
    perNodeMax: number;
    peers: number;
  };
}

const kubeconfig = process.argv[2];
if (!kubeconfig) throw new Error('usage: collect-child.ts KUBECONFIG [TIMEOUT_MS]');
const timeoutMs = Number(process.argv[3]) || undefined;

const port = new CountingPort(new KubePort(loadKubeConfig({ kubeconfig })));
const meter = meterApiTraffic();
const t0 = performance.now();
const { cluster, gaps } = await collectCluster(port, timeoutMs ? { timeoutMs } : {});
const wallMs = performance.now() - t0;
meter.stop();

const t1 = performance.now();
const { input } = planInput(cluster, { probeService: { name: 'netdoctor-probe', namespace: 'kube-system' } });
const plan = planProbes(input);
const planMs = performance.now() - t1;
const perNode = new Map<string, number>();
for (const p of plan.probes) perNode.set(p.from, (perNode.get(p.from) ?? 0) + 1);
const sends = [...perNode.values()];

const figures: CollectFigures = {
  wallMs,
  portCalls: port.calls,
  httpRequests: meter.requests,
  byPath: Object.fromEntries(meter.byPath),
  bodyBytes: meter.bytes,
  compressedResponses: meter.compressed,
  maxRssMiB: process.resourceUsage().maxRSS / 1024,
  counts: {
    nodes: cluster.nodes.length,
    pods: cluster.pods.length,
    services: cluster.services.length,
    endpointSlices: cluster.endpointSlices.length,
    networkPolicies: cluster.networkPolicies.length,
    events: cluster.events.length,
  },
  gaps: gaps.map((g) => `${g.collector}: ${g.reason}${g.detail ? ` (${g.detail})` : ''}`),
  plan: {
    ms: planMs,
    nodes: input.nodes.length,
    rounds: plan.rounds,
    probes: plan.probes.length,
    perNodeMin: sends.length ? Math.min(...sends) : 0,
    perNodeMax: sends.length ? Math.max(...sends) : 0,
    peers: Math.max(0, ...Object.values(plan.peers).map((p) => p.length)),
  },
};
// A list cut off by its timeout is still being paged in the background: exit now, not then.
process.stdout.write(`${JSON.stringify(figures)}\n`, () => process.exit(0));
