/**
 * The agent's look at its own node: the same node script as `diagnose` (run locally), written as
 * a one-node bundle and analyzed by the same rules, so the agent and `diagnose` can never
 * disagree about what a node file means. The cluster lists are gaps the agent names, not empty
 * lists: an agent that reads no Pods must not conclude there are none.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyze } from '../analyze/engine.ts';
import { CNI_ADAPTERS } from '../cni/index.ts';
import { CLUSTER_FILES, type ClusterFileKey } from '../collect/bundle/layout.ts';
import { readBundle } from '../collect/bundle/read.ts';
import { writeBundle } from '../collect/bundle/write.ts';
import { runScriptAsNode } from '../collect/node/local-collector.ts';
import { nodeScript } from '../collect/node/node-script.ts';
import { type ClusterState, emptyClusterState } from '../core/cluster-types.ts';
import type { NodeDatapath } from '../core/datapath-types.ts';
import type { Finding, Gap, Report } from '../core/model.ts';
import { NETDOCTOR_VERSION } from '../core/version.ts';
import { type ServiceTargets, serviceTargets } from './service-targets.ts';

export interface NodeCheckOptions {
  node: string;
  /** The shell that runs the node script (`['sh', '-s']`; tests prefix `ip netns exec`). */
  shell: readonly string[];
  /** Where the node's filesystem is mounted (`/host` in the DaemonSet, empty when run on the node). */
  hostRoot: string;
  timeoutMs: number;
  /** Cluster lists the agent was given; the others are recorded as not collected. */
  cluster?: Partial<ClusterState>;
}

/** Datapath facts the agent exports as metrics, read from the parsed node. */
export interface NodeFacts {
  /** Routes through the overlay device: what a stalled CNI agent loses. */
  peerRoutes: number;
  fdbEntries: number;
  /** MTU by interface, for the overlay and underlay devices. */
  mtu: Record<string, number>;
}

/** One look at the node: the analysis (its findings and coverage), the facts, and the gaps. */
export interface NodeCheck {
  report: Report;
  facts: NodeFacts | undefined;
  /** Cluster DNS and the API server as this node's Service rules reach them; undefined when the node could not be read. */
  services: ServiceTargets | undefined;
  gaps: Gap[];
  durationMs: number;
}

/** Whether a device is the overlay device of a CNI netdoctor knows. */
function isOverlayDevice(dev: string): boolean {
  return CNI_ADAPTERS.some((a) => a.datapath.overlayDevicePattern.test(dev));
}

/** The facts of one parsed node: routes and MTUs of the overlay devices, and the underlay's MTU. */
export function nodeFacts(dp: NodeDatapath): NodeFacts {
  const routes = dp.routes ?? [];
  // Unicast routes of the main table only, not the kernel's connected ones (the device's own
  // prefix, IPv6 link-local): those come with the device and say nothing about peers.
  const peerRoutes = routes.filter(
    (r) =>
      r.dst !== 'default' &&
      r.protocol !== 'kernel' &&
      (r.table ?? 'main') === 'main' &&
      (r.type ?? 'unicast') === 'unicast' &&
      r.dev !== undefined &&
      isOverlayDevice(r.dev),
  ).length;
  const underlay = routes.find((r) => r.dst === 'default' && (r.table ?? 'main') === 'main')?.dev;
  const mtu: Record<string, number> = {};
  for (const l of dp.links ?? [])
    if (l.ifname === underlay || isOverlayDevice(l.ifname)) mtu[l.ifname] = l.mtu;
  return { peerRoutes, fdbEntries: (dp.fdb ?? []).length, mtu };
}

export async function checkNode(o: NodeCheckOptions): Promise<NodeCheck> {
  const started = performance.now();
  const outcome = await runScriptAsNode(o.node, 'local', o.shell, nodeScript(o.hostRoot), o.timeoutMs);
  const given = o.cluster ?? {};
  const gaps: Gap[] = [];
  for (const key of Object.keys(CLUSTER_FILES) as ClusterFileKey[]) {
    if (key === 'version' || given[key as keyof ClusterState] !== undefined) continue;
    gaps.push({
      collector: `cluster/${key.toLowerCase()}`,
      reason: 'not-collected',
      detail: 'the agent reads only its own node',
    });
  }
  if (outcome.status === 'failed') gaps.push(outcome.gap);
  else gaps.push(...outcome.gaps);
  const dir = await mkdtemp(join(tmpdir(), 'netdoctor-agent-'));
  try {
    await writeBundle(dir, {
      meta: {
        createdAt: new Date().toISOString(),
        source: 'live',
        netdoctorVersion: NETDOCTOR_VERSION,
        cluster: {},
      },
      cluster: { ...emptyClusterState(), ...given },
      nodes: outcome.status === 'collected' ? { [o.node]: outcome.input } : {},
      gaps,
    });
    const snapshot = await readBundle(dir);
    const report = analyze(snapshot);
    const dp = snapshot.nodes[o.node];
    return {
      report,
      facts: dp ? nodeFacts(dp) : undefined,
      services: dp ? serviceTargets(dp) : undefined,
      gaps,
      durationMs: performance.now() - started,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The findings about this node (its own, not the cluster's), most severe first as the report lists them. */
export function findingsOfNode(report: Report, node: string): Finding[] {
  return report.findings.filter((f) => f.subject.kind === 'Node' && f.subject.name === node);
}
