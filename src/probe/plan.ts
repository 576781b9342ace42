/**
 * Which probes run from which node to which target: pure, from the cluster's objects and the
 * options (ARCHITECTURE.md principle 8). The runner only consumes the plan.
 */
import type { ClusterState, K8sNode } from '../core/cluster-types.ts';
import type { Gap } from '../core/model.ts';
import { peerIndexes, roundCount } from './fan-out.ts';
import { SCENARIOS } from './scenarios/index.ts';
import type { AppTarget, PlanDnsPod, PlanInput, PlanNode, ProbePlan, Scenario, TlsTarget } from './types.ts';

export const DEFAULT_FULL_MESH_LIMIT = 20;
export const DEFAULT_MAX_PEERS = 10;
export const SERVER_PORT = 8080;
export const CLUSTER_DNS_NAME = 'kubernetes.default.svc.cluster.local';

export interface PlanOptions {
  probeService: { name: string; namespace: string };
  externalTarget?: string;
  externalName?: string;
  appTargets?: AppTarget[];
  tlsTargets?: TlsTarget[];
  maxPeers?: number;
  fullMeshLimit?: number;
  round?: number;
  /**
   * Nodes where creating a probe pod would change what is being diagnosed (e.g. ip_forward is
   * off: the CNI bridge plugin switches it back on for every new pod). Left out, with a gap.
   */
  avoidNodes?: readonly { node: string; reason: string }[];
}

function nodeReady(n: K8sNode): boolean {
  return n.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** The planner's view of a cluster; NotReady nodes are left out, each with a gap. */
export function planInput(cluster: ClusterState, opts: PlanOptions): { input: PlanInput; gaps: Gap[] } {
  const gaps: Gap[] = [];
  const nodes: PlanNode[] = [];
  for (const n of [...cluster.nodes].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))) {
    const avoid = opts.avoidNodes?.find((a) => a.node === n.metadata.name);
    if (avoid) {
      gaps.push({
        collector: 'probe/node',
        reason: 'not-collected',
        node: n.metadata.name,
        detail: avoid.reason,
      });
      continue;
    }
    if (!nodeReady(n)) {
      gaps.push({
        collector: 'probe/node',
        reason: 'not-collected',
        node: n.metadata.name,
        detail: 'node is not Ready; no probe pods placed on it',
      });
      continue;
    }
    const ip = n.status.addresses?.find((a) => a.type === 'InternalIP')?.address;
    nodes.push({ name: n.metadata.name, ...(ip ? { internalIp: ip } : {}) });
  }
  const svc =
    cluster.services.find((s) => s.metadata.namespace === 'kube-system' && s.metadata.name === 'kube-dns') ??
    cluster.services.find((s) => s.metadata.labels?.['k8s-app'] === 'kube-dns');
  const dnsPods: PlanDnsPod[] = cluster.pods
    .filter(
      (p) =>
        p.metadata.labels?.['k8s-app'] === 'kube-dns' &&
        p.status.phase === 'Running' &&
        // A replica being deleted (a rollout's old pod) is going away: probing it tests nothing.
        p.metadata.deletionTimestamp === undefined &&
        !!p.status.podIP &&
        !p.spec.hostNetwork,
    )
    .map((p) => ({
      name: p.metadata.name,
      namespace: p.metadata.namespace ?? 'kube-system',
      ip: p.status.podIP as string,
      ...(p.spec.nodeName ? { node: p.spec.nodeName } : {}),
    }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  const clusterIP = svc?.spec.clusterIP;
  const input: PlanInput = {
    nodes,
    dnsPods,
    ...(svc && clusterIP && clusterIP !== 'None'
      ? {
          dnsService: {
            name: svc.metadata.name,
            namespace: svc.metadata.namespace ?? 'kube-system',
            clusterIP,
          },
        }
      : {}),
    probeService: opts.probeService,
    serverPort: SERVER_PORT,
    clusterName: CLUSTER_DNS_NAME,
    ...(opts.externalName ? { externalName: opts.externalName } : {}),
    ...(opts.externalTarget ? { externalTarget: opts.externalTarget } : {}),
    ...(opts.appTargets && opts.appTargets.length > 0 ? { appTargets: opts.appTargets } : {}),
    ...(opts.tlsTargets && opts.tlsTargets.length > 0 ? { tlsTargets: opts.tlsTargets } : {}),
    fullMeshLimit: opts.fullMeshLimit ?? DEFAULT_FULL_MESH_LIMIT,
    maxPeers: opts.maxPeers ?? DEFAULT_MAX_PEERS,
    round: opts.round ?? 0,
  };
  return { input, gaps };
}

/** The probes of one run (one round of the fan-out), per node in scenario order. */
export function planProbes(input: PlanInput, scenarios: readonly Scenario[] = SCENARIOS): ProbePlan {
  const n = input.nodes.length;
  const idx = peerIndexes(n, input.maxPeers, input.fullMeshLimit, input.round);
  const peers: Record<string, string[]> = {};
  const probes = input.nodes.flatMap((from, i) => {
    const ps = (idx[i] ?? []).map((j) => input.nodes[j] as PlanNode);
    peers[from.name] = ps.map((p) => p.name);
    return scenarios.flatMap((s) => s.plan(input, from, ps));
  });
  const rounds = roundCount(n, input.maxPeers, input.fullMeshLimit);
  return { round: ((input.round % rounds) + rounds) % rounds, rounds, peers, probes };
}
