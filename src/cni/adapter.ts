/**
 * What netdoctor knows about one CNI, in one place: how to recognise it in a snapshot, the
 * names and numbers it uses, where its agent keeps its state, what a healthy node datapath
 * looks like under it, and how to repair it. Rules, the tracer and the repair steps ask the
 * adapter (through `src/cni/index.ts`) instead of naming a CNI themselves.
 */
import type { ClusterState, K8sNode, K8sPod } from '../core/cluster-types.ts';
import type { CniStatus, NodeDatapath, Route } from '../core/datapath-types.ts';
import type { Snapshot } from '../core/model.ts';

/** The CNIs netdoctor has an adapter for. */
export type CniId = 'flannel' | 'calico' | 'cilium';

/** How trustworthy an adapter's facts are: run in the lab, or taken from recorded shapes and upstream. */
export type AdapterProvenance = 'lab' | 'recorded-shape';

/** One thing in a snapshot that points at a CNI, and how strongly. */
export interface DetectionSignal {
  /**
   * `agent`: its DaemonSet or agent pods exist (the CNI runs now). `residue`: what it leaves
   * behind when its DaemonSet is gone (ConfigMap, node annotations, agent images elsewhere).
   */
  strength: 'agent' | 'residue';
  /** What was seen, for the report: `DaemonSet kube-flannel/kube-flannel-ds`. */
  what: string;
}

/** A cluster-side snapshot view the detectors read: the objects plus the pod label index. */
export interface DetectionInput {
  cluster: ClusterState;
  podsByLabel: ReadonlyMap<string, readonly K8sPod[]>;
}

/** The agent DaemonSet: where it lives and how its pods are found. */
export interface AgentWorkload {
  /** The DaemonSet name upstream manifests use. */
  daemonSet: string;
  /** Names (of current and older manifests) that are this CNI's agent DaemonSet. */
  daemonSetNames: RegExp;
  /** The namespace upstream manifests install it in. */
  namespace: string;
  /** `key=value` labels its pods carry (any one identifies them). */
  podLabels: readonly (readonly [string, string])[];
  /** The agent container's name within the pod. */
  container: RegExp;
  /** Agent container images. */
  images: RegExp;
  /** The ConfigMap holding the agent's own configuration, when it has one. */
  configMap: string | undefined;
}

/** An encapsulation the CNI can run, with its device and what it costs per packet. */
export interface Encapsulation {
  kind: 'vxlan' | 'ipip' | 'geneve';
  /** The tunnel device on every node. */
  device: string;
  /** Bytes the encapsulation adds to every packet. */
  overhead: number;
  /** The UDP port for UDP encapsulations. */
  port: number | undefined;
}

/** Where the agent records its state on a node, and how a person reads it. */
export interface AgentStateSource {
  /** The NodeDatapath part holding it once collected. */
  part: 'flannelSubnetEnv' | 'cniStatus';
  /** The file, or the command, on the node. */
  read: string;
  /** What it tells. */
  tells: string;
  /** For a status command: the tool recorded with its output, and what the rules read from it. */
  tool?: CniStatus['tool'];
  reports?: 'bgp-sessions' | 'agent-health';
  /** For an agent-health report: the components that must read Ok (or Disabled). */
  mustBeOk?: readonly string[];
}

/** What a healthy node under this CNI looks like, so rules and the tracer can compare. */
export interface HealthyDatapath {
  /** The overlay device carrying cross-node pod traffic in the default mode. */
  overlayDevice: string;
  /** Every name the overlay device can take (flannel: `flannel.<VNI>`). */
  overlayDevicePattern: RegExp;
  /** How that device is made, for evidence: `vxlan, VNI 1`. */
  overlayDeviceDetail: string;
  /** Any device name this CNI creates (overlay, host, per-pod veths), for node detection. */
  devices: RegExp;
  /** The Linux bridge pods attach to, when the CNI uses one. */
  bridge: string | undefined;
  /** How a route to a peer's pod subnet looks. */
  peerRoute: 'via-overlay-onlink' | 'bgp-or-overlay' | 'ebpf-tunnel-map';
  /** For per-peer kernel routes: the route the agent programs to a peer for a backend, and whether one fits. */
  peerRoutes?: {
    expected(peer: OverlayPeer, backend: string | undefined): string;
    fits(r: Route, peer: OverlayPeer, backend: string | undefined): boolean;
  };
  /** Neighbour / FDB entries the agent programs statically per peer on the overlay device. */
  staticOverlayEntries: boolean;
  /** The prefix of the iptables chains the agent owns (flannel: `FLANNEL-`). */
  chainPrefix: string;
  /** nat chains the agent owns that masquerade pod egress. */
  masqueradeChains: readonly string[];
  /**
   * Whether netdoctor's offline datapath rules (peer routes, overlay FDB, overlay MTU,
   * masquerade) know this CNI's shape well enough to judge a node. Only those CNIs are checked;
   * the others are reported as skipped with the reason.
   */
  checkedOffline: boolean;
  /**
   * Every node as the overlay peer the agent programs on the others (pod subnet, VTEP gateway,
   * VTEP MAC, underlay address), for CNIs that record it in the cluster's objects.
   */
  peers?: (
    snapshot: Snapshot,
    podCidrByNode: ReadonlyMap<string, string>,
    internalIpByNode: ReadonlyMap<string, string>,
  ) => OverlayPeers;
}

/** What the agent of a VTEP-annotating overlay records about one node, with InternalIP as fallback. */
export interface OverlayPeer {
  name: string;
  /** Normalised IPv4 pod CIDR. */
  podCIDR: string | undefined;
  /** The peer's `.0` address that routes and neighbour entries use as the VTEP gateway. */
  vtepGateway: string | undefined;
  vtepMac: string | undefined;
  publicIp: string | undefined;
  backendType: string | undefined;
  annotated: boolean;
}

/** Every node as an overlay peer, with lookups. */
export interface OverlayPeers {
  /** The backend the agent's config names (flannel: net-conf.json `Backend.Type`), lower-cased. */
  backendType: string | undefined;
  /** The cluster network from the agent's config (flannel: net-conf.json `Network`). */
  network: string | undefined;
  nodes: Map<string, OverlayPeer>;
  /** Nodes with a pod CIDR, and lookups from their CIDR, VTEP gateway and VtepMAC to a position in it. */
  withCidr: OverlayPeer[];
  byCidr: Map<string, number>;
  byGateway: Map<string, number>;
  byMac: Map<string, number>;
  /** Whether any node carries the backend-data annotation (then only annotated peers are expected). */
  anyAnnotated: boolean;
}

/** What the agent's own state file on a node says (flannel: subnet.env), with the keys it uses. */
export interface AgentNodeState {
  part: AgentStateSource['part'];
  network: string | undefined;
  subnet: string | undefined;
  mtu: number | undefined;
  ipMasq: boolean | undefined;
  /** The file's own names for those values, for evidence: `FLANNEL_MTU`. */
  keys: { network: string; subnet: string; mtu: string; ipMasq: string };
}

/** The repair primitives the steps use for this CNI. */
export interface RepairPrimitives {
  /** What restarting the agent means. */
  restart: { kind: 'DaemonSet'; namespace: string; name: string };
  /** How a person reinstalls it when its DaemonSet is gone. */
  reinstallHint: string;
  /** The interface whose address a reset rewrites, when the CNI has one (the bridge). */
  resettableInterface: string | undefined;
  /** The manifest file a person passes to `netdoctor fix --manifest` to reinstall it. */
  manifestFile: string;
  /**
   * Where the overlay MTU is set, for CNIs whose MTU netdoctor can change: the ConfigMap and
   * key holding the agent's config, the agent's process, and the node state file (and key)
   * that carries the MTU to new pods.
   */
  overlayMtu?: {
    configMap: string;
    configKey: string;
    agentProcess: string;
    stateFile: string;
    stateMtuKey: string;
  };
}

/** One CNI's knowledge. */
export interface CniAdapter {
  id: CniId;
  /** How user-facing text names it. */
  displayName: string;
  provenance: AdapterProvenance;
  agent: AgentWorkload;
  cniConfig: {
    /** The plugin type its own config in /etc/cni/net.d must contain. */
    pluginType: string;
    /** File names its installer writes there. */
    fileNames: readonly string[];
  };
  /** Its encapsulations; the first is the default. */
  encapsulations: readonly Encapsulation[];
  /** Other ports nodes must reach each other on (BGP, health). */
  controlPorts: readonly number[];
  agentState: readonly AgentStateSource[];
  /** The agent's state on one node, when the CNI keeps one in a file netdoctor collects. */
  nodeAgentState(dp: NodeDatapath): AgentNodeState | undefined;
  /** Commands a person runs to see the agent's own view. */
  statusCommands: readonly string[];
  datapath: HealthyDatapath;
  repair: RepairPrimitives;
  /**
   * The cluster pod network the agent's own configuration declares (flannel: net-conf.json
   * `Network`), with where it was read and the command that shows it.
   */
  podNetwork?: {
    read(snapshot: Snapshot): { cidr: string; source: string } | undefined;
    command: string;
  };
  /** What the agent's cluster-wide config says (flannel: net-conf.json), empty when it has none. */
  agentConfig(snapshot: Snapshot): { network?: string; backendType?: string; port?: number };
  /**
   * What the agent records on a Node object for the tracer: the address peers send overlay
   * packets to (when it overrides InternalIP) and the node's VTEP MAC.
   */
  nodeOverlayFacts(n: K8sNode): { underlayIp?: string; vtepMac?: string };
  /** Where the agent's per-node records live, for evidence: `flannel annotation`. */
  nodeRecordName: string;
  /** Signals in the cluster's objects. */
  detectCluster(input: DetectionInput): DetectionSignal[];
  /** Signals in one node's collected datapath (CNI config, agent state files, devices). */
  detectNode(dp: NodeDatapath): string[];
}

/** The cluster's CNI, or an explicit unknown. */
export type CniDetection =
  | { known: true; adapter: CniAdapter; signals: DetectionSignal[] }
  | { known: false; reason: string };

/** Helpers the adapters share for their detectors. */
export function daemonSetSignals(input: DetectionInput, agent: AgentWorkload): DetectionSignal[] {
  const out: DetectionSignal[] = [];
  const ds = input.cluster.daemonSets.find((d) => agent.daemonSetNames.test(d.metadata.name));
  if (ds)
    out.push({
      strength: 'agent',
      what: `DaemonSet ${ds.metadata.namespace ?? 'default'}/${ds.metadata.name}`,
    });
  for (const [k, v] of agent.podLabels) {
    const n = input.podsByLabel.get(`${k}=${v}`)?.length ?? 0;
    if (n > 0) out.push({ strength: 'agent', what: `${n} pods labelled ${k}=${v}` });
  }
  return out;
}

/** Pods (outside a DaemonSet match) running the agent's image: a CNI left behind or relabelled. */
export function imageSignals(input: DetectionInput, agent: AgentWorkload): DetectionSignal[] {
  const pod = input.cluster.pods.find((p) =>
    p.spec.containers.some((c) => c.image && agent.images.test(c.image)),
  );
  return pod
    ? [
        {
          strength: 'residue',
          what: `pod ${pod.metadata.namespace ?? 'default'}/${pod.metadata.name} runs the agent image`,
        },
      ]
    : [];
}

/** The agent pods of an adapter, by its labels (a pod carrying several is listed once per label, as before). */
export function agentPods(
  podsByLabel: ReadonlyMap<string, readonly K8sPod[]>,
  agent: AgentWorkload,
): K8sPod[] {
  return agent.podLabels.flatMap(([k, v]) => podsByLabel.get(`${k}=${v}`) ?? []);
}
