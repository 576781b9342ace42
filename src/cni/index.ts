/**
 * The CNI adapters netdoctor knows, in one explicit list, and the detection that picks the one a
 * snapshot (or one node) runs. Rules, the tracer and the repair steps reach CNI knowledge only
 * through here.
 */
import type { K8sPod } from '../core/cluster-types.ts';
import type { NodeDatapath } from '../core/datapath-types.ts';
import type { Snapshot } from '../core/model.ts';
import type {
  AgentStateSource,
  CniAdapter,
  CniDetection,
  CniId,
  DetectionInput,
  Encapsulation,
} from './adapter.ts';
import { calico } from './calico.ts';
import { cilium } from './cilium.ts';
import { flannel } from './flannel.ts';

export type {
  AgentStateSource,
  AgentWorkload,
  CniAdapter,
  CniDetection,
  CniId,
  DetectionInput,
  DetectionSignal,
  Encapsulation,
  HealthyDatapath,
  OverlayPeer,
  OverlayPeers,
  RepairPrimitives,
} from './adapter.ts';
export { agentPods } from './adapter.ts';

/** Every adapter, in detection order: on a tie the earlier one wins. */
export const CNI_ADAPTERS: readonly CniAdapter[] = [flannel, calico, cilium];

const BY_ID = new Map<CniId, CniAdapter>(CNI_ADAPTERS.map((a) => [a.id, a]));

/** The adapter for an id. */
export function cniAdapter(id: CniId): CniAdapter {
  const a = BY_ID.get(id);
  if (!a) throw new Error(`no CNI adapter for ${id}`);
  return a;
}

/** The adapter for an id, or undefined for `unknown`. */
export function adapterOf(id: CniId | 'unknown'): CniAdapter | undefined {
  return id === 'unknown' ? undefined : BY_ID.get(id);
}

/**
 * The cluster's CNI from its objects: the first adapter whose agent (DaemonSet or labelled pods)
 * exists; else the first whose residue remains (a deleted DaemonSet's ConfigMap, annotations,
 * agent images). Node datapaths are not read: they stream past one at a time (see {@link cniOfNode}).
 */
export function detectCni(input: DetectionInput): CniDetection {
  const found = CNI_ADAPTERS.map((adapter) => ({ adapter, signals: adapter.detectCluster(input) }));
  const agent = found.find((f) => f.signals.some((s) => s.strength === 'agent'));
  if (agent) return { known: true, ...agent };
  const residue = found.find((f) => f.signals.length > 0);
  if (residue) return { known: true, ...residue };
  return { known: false, reason: 'no known DaemonSet, pods, ConfigMap, node config or annotations' };
}

/** {@link detectCni} over a whole snapshot. */
export function cniOf(snapshot: Snapshot): CniDetection {
  const podsByLabel = new Map<string, K8sPod[]>();
  for (const p of snapshot.cluster.pods)
    for (const [k, v] of Object.entries(p.metadata.labels ?? {})) {
      const key = `${k}=${v}`;
      const list = podsByLabel.get(key);
      if (list) list.push(p);
      else podsByLabel.set(key, [p]);
    }
  return detectCni({ cluster: snapshot.cluster, podsByLabel });
}

/** One node's CNI from its collected datapath, with what showed it; unknown when nothing does. */
export function cniOfNode(
  dp: NodeDatapath,
  among: readonly CniAdapter[] = CNI_ADAPTERS,
): { known: true; adapter: CniAdapter; seen: string[] } | { known: false } {
  for (const adapter of among) {
    const seen = adapter.detectNode(dp);
    if (seen.length > 0) return { known: true, adapter, seen };
  }
  return { known: false };
}

/** The adapters whose node datapath netdoctor's offline rules judge. */
export const OFFLINE_CHECKED: readonly CniAdapter[] = CNI_ADAPTERS.filter((a) => a.datapath.checkedOffline);

/** `flannel` / `flannel and Calico`: the names of adapters, for user-facing text. */
export function displayNames(adapters: readonly CniAdapter[]): string {
  const names = adapters.map((a) => a.displayName);
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

export { calico, cilium, flannel };

const ENCAP_BY_DEVICE = new Map<string, Encapsulation>(
  CNI_ADAPTERS.flatMap((a) => a.encapsulations.map((e) => [e.device, e] as const)),
);

/** The encapsulation a CNI's tunnel device runs (`flannel.1` -> VXLAN on 8472), if it is one. */
export function encapsulationOfDevice(ifname: string): Encapsulation | undefined {
  return ENCAP_BY_DEVICE.get(ifname);
}

/**
 * The adapter the offline datapath rules judge a cluster by: the detected CNI when they know its
 * shape, the first such adapter when the CNI is unknown (each node is then checked for its
 * datapath), undefined when the cluster runs a CNI they do not judge.
 */
export function offlineCheckedAdapter(detected: CniAdapter | undefined): CniAdapter | undefined {
  if (!detected) return OFFLINE_CHECKED[0];
  return detected.datapath.checkedOffline ? detected : undefined;
}

/**
 * The chains owned-chains.ts counts as the network agents' (kube-proxy's `KUBE-` and flannel's),
 * as user-facing text and as a grep pattern.
 */
export const OWNED_CHAINS_LABEL = `KUBE-/${flannel.datapath.chainPrefix}`;
export const OWNED_CHAINS_GREP = `KUBE-|${flannel.datapath.chainPrefix}`;

/** The status report of a CNI that carries `reports`, if it has one. */
export function statusReport(
  cni: CniAdapter | undefined,
  reports: NonNullable<AgentStateSource['reports']>,
): AgentStateSource | undefined {
  return cni?.agentState.find((s) => s.reports === reports);
}

/** The adapters whose agents report `reports`, for skip reasons. */
export function reportingAdapters(reports: NonNullable<AgentStateSource['reports']>): CniAdapter[] {
  return CNI_ADAPTERS.filter((a) => statusReport(a, reports) !== undefined);
}

/** `key=value` of the agent pods' first label, for `kubectl -l`. */
export function agentSelector(cni: CniAdapter): string {
  return cni.agent.podLabels[0]?.join('=') ?? '';
}

export {
  parseCalicoNodeStatus as parseBgpSessionReport,
  parseCiliumStatus as parseAgentHealthReport,
} from '../datapath/parsers/cni-status.ts';

/**
 * What the agents' cluster-wide configs declare, from the first adapter that declares each value
 * (a snapshot holds one CNI's config; a repair reads it whether or not the agent still runs).
 */
export function declaredAgentConfig(snapshot: Snapshot): { network?: string; port?: number } {
  const out: { network?: string; port?: number } = {};
  for (const a of CNI_ADAPTERS) {
    const c = a.agentConfig(snapshot);
    if (out.network === undefined && c.network !== undefined) out.network = c.network;
    if (out.port === undefined && c.port !== undefined) out.port = c.port;
  }
  return out;
}

/** The pod network one node's agent state declares (flannel: subnet.env FLANNEL_NETWORK). */
export function nodeDeclaredNetwork(dp: NodeDatapath | undefined): string | undefined {
  if (!dp) return undefined;
  for (const a of CNI_ADAPTERS) {
    const n = a.nodeAgentState(dp)?.network;
    if (n !== undefined) return n;
  }
  return undefined;
}

/** The adapter that attaches pods to a bridge a repair can reset, and that bridge. */
export const BRIDGE_CNI: CniAdapter | undefined = CNI_ADAPTERS.find((a) => a.repair.resettableInterface);

/** The adapters whose peers' VTEP addresses (the `.0` of their pod subnets) answer only through the overlay. */
export const VTEP_PINGABLE: readonly CniAdapter[] = CNI_ADAPTERS.filter((a) => a.datapath.peerRoutes);

/** The adapter a repair acts for when the snapshot's CNI is unknown: the one the offline rules judge. */
export const DEFAULT_CNI: CniAdapter = OFFLINE_CHECKED[0] ?? flannel;

/** The snapshot's CNI for a repair: the detected one, else {@link DEFAULT_CNI}. */
export function repairCni(snapshot: Snapshot): CniAdapter {
  const d = cniOf(snapshot);
  return d.known ? d.adapter : DEFAULT_CNI;
}

/** The adapter whose overlay MTU the fix-overlay-mtu repair can change (flannel's). */
export const MTU_REPAIR_CNI: CniAdapter = CNI_ADAPTERS.find((a) => a.repair.overlayMtu) ?? DEFAULT_CNI;
