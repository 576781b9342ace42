/**
 * flannel: the CNI the lab runs, so every fact here is checked against real nodes (kube-flannel.yml,
 * flannel's vxlan backend, the bridge plugin it delegates to). Besides the adapter, this file
 * holds flannel's own readings of a snapshot: net-conf.json and the per-node annotations that
 * say what each peer's routes and VXLAN entries must be.
 */
import type { K8sNode } from '../core/cluster-types.ts';
import type { NodeDatapath, Route } from '../core/datapath-types.ts';
import type { Snapshot } from '../core/model.ts';
import { formatIPv4, parseCidr4 } from '../core/net/ipv4.ts';
import {
  type CniAdapter,
  type DetectionSignal,
  daemonSetSignals,
  imageSignals,
  type OverlayPeer,
  type OverlayPeers,
} from './adapter.ts';
import { LINUX_VXLAN_PORT, VXLAN_OVERHEAD } from './vxlan.ts';

/** The VXLAN device flannel's vxlan backend creates (VNI 1). */
export const FLANNEL_VXLAN_DEV = 'flannel.1';

/** The port flannel's vxlan backend listens on unless net-conf.json's Backend.Port says otherwise. */
export const FLANNEL_VXLAN_PORT = LINUX_VXLAN_PORT;

/** The Linux bridge the bridge CNI plugin (under flannel) attaches pods to. */
export const CNI_BRIDGE = 'cni0';

/** The ConfigMap kube-flannel.yml ships net-conf.json in. */
export const FLANNEL_CONFIG_MAP = 'kube-flannel-cfg';

/** flannel's per-node annotations (VTEP MAC for VXLAN, the address it uses as the VXLAN remote). */
export const FLANNEL_BACKEND_DATA = 'flannel.alpha.coreos.com/backend-data';
export const FLANNEL_BACKEND_TYPE = 'flannel.alpha.coreos.com/backend-type';
export const FLANNEL_PUBLIC_IP = 'flannel.alpha.coreos.com/public-ip';
const ANNOTATION_PREFIX = 'flannel.alpha.coreos.com/';

/** What flannel's net-conf.json (in its ConfigMap) says; empty when absent or unparsable. */
export interface FlannelNetConf {
  /** `Network`: the cluster's pod network. */
  network?: string;
  /** `Backend.Type`, lower-cased. */
  backendType?: string;
  /** `Backend.Port`, when set. */
  port?: number;
}

/** flannel's net-conf.json from the snapshot (an unparsable one is the config rules' to report). */
export function flannelNetConf(snapshot: Snapshot): FlannelNetConf {
  const cm = snapshot.cluster.configMaps.find(
    (c) => /flannel/.test(c.metadata.name) && c.data?.['net-conf.json'],
  );
  const text = cm?.data?.['net-conf.json'];
  if (!text) return {};
  try {
    const p = JSON.parse(text) as { Network?: unknown; Backend?: { Type?: unknown; Port?: unknown } };
    return {
      ...(typeof p.Network === 'string' ? { network: p.Network } : {}),
      ...(typeof p.Backend?.Type === 'string' ? { backendType: p.Backend.Type.toLowerCase() } : {}),
      ...(typeof p.Backend?.Port === 'number' && p.Backend.Port > 0 ? { port: p.Backend.Port } : {}),
    };
  } catch {
    return {};
  }
}

/** flannel's view of the peers, from node annotations and net-conf.json. */
export function flannelPeers(
  snapshot: Snapshot,
  podCidrByNode: ReadonlyMap<string, string>,
  internalIpByNode: ReadonlyMap<string, string>,
): OverlayPeers {
  const { backendType, network } = flannelNetConf(snapshot);
  const nodes = new Map<string, OverlayPeer>();
  let anyAnnotated = false;
  for (const n of snapshot.cluster.nodes) {
    const ann = n.metadata.annotations ?? {};
    let vtepMac: string | undefined;
    const data = ann[FLANNEL_BACKEND_DATA];
    if (data) {
      anyAnnotated = true;
      vtepMac = vtepMacOf(n);
    }
    const name = n.metadata.name;
    const raw = podCidrByNode.get(name);
    const pod = raw ? parseCidr4(raw) : undefined;
    const podCIDR = pod?.text ?? raw;
    nodes.set(name, {
      name,
      podCIDR,
      vtepGateway: pod ? formatIPv4(pod.base) : undefined,
      vtepMac,
      publicIp: ann[FLANNEL_PUBLIC_IP] ?? internalIpByNode.get(name),
      backendType: ann[FLANNEL_BACKEND_TYPE]?.toLowerCase() ?? backendType,
      annotated: data !== undefined,
    });
  }
  const withCidr = [...nodes.values()].filter((n) => n.podCIDR !== undefined);
  const byCidr = new Map<string, number>();
  const byGateway = new Map<string, number>();
  const byMac = new Map<string, number>();
  withCidr.forEach((n, i) => {
    byCidr.set(n.podCIDR!, i);
    if (n.vtepGateway) byGateway.set(n.vtepGateway, i);
    if (n.vtepMac) byMac.set(n.vtepMac, i);
  });
  return { backendType, network, nodes, anyAnnotated, withCidr, byCidr, byGateway, byMac };
}

/** A node's VtepMAC from its backend-data annotation, lower-cased. */
export function vtepMacOf(n: K8sNode): string | undefined {
  const data = n.metadata.annotations?.[FLANNEL_BACKEND_DATA];
  if (!data) return undefined;
  try {
    const parsed = JSON.parse(data) as { VtepMAC?: unknown };
    return typeof parsed.VtepMAC === 'string' ? parsed.VtepMAC.toLowerCase() : undefined;
  } catch {
    return undefined;
  }
}

const OVERLAY_DEVICE = /^flannel\.\d+$/;

/** The route flannel programs to a peer's pod subnet for a backend. */
export function expectedPeerRoute(peer: OverlayPeer, backend: string | undefined): string {
  if (backend === 'host-gw') return `${peer.podCIDR} via ${peer.publicIp ?? '<peer InternalIP>'}`;
  return `${peer.podCIDR} via ${peer.vtepGateway} dev ${FLANNEL_VXLAN_DEV} onlink`;
}

/** Whether a route to a peer's pod subnet goes where flannel would send it. */
export function routeFits(r: Route, peer: OverlayPeer, backend: string | undefined): boolean {
  if (backend === 'host-gw') return r.gateway !== undefined && r.gateway === peer.publicIp;
  if (backend === 'vxlan') return r.dev === FLANNEL_VXLAN_DEV && r.gateway === peer.vtepGateway;
  return r.dev === FLANNEL_VXLAN_DEV ? r.gateway === peer.vtepGateway : r.gateway === peer.publicIp;
}

export const flannel: CniAdapter = {
  id: 'flannel',
  displayName: 'flannel',
  provenance: 'lab',
  agent: {
    daemonSet: 'kube-flannel-ds',
    daemonSetNames: /^(kube-)?flannel(-ds)?/,
    namespace: 'kube-flannel',
    podLabels: [
      ['app', 'flannel'],
      ['k8s-app', 'flannel'],
    ],
    container: /flannel/,
    images: /(^|\/)flannel(-io)?\/flannel:|(^|\/)flannel:/,
    configMap: FLANNEL_CONFIG_MAP,
  },
  cniConfig: { pluginType: 'flannel', fileNames: ['10-flannel.conflist'] },
  encapsulations: [
    { kind: 'vxlan', device: FLANNEL_VXLAN_DEV, overhead: VXLAN_OVERHEAD, port: FLANNEL_VXLAN_PORT },
  ],
  controlPorts: [],
  agentState: [
    {
      part: 'flannelSubnetEnv',
      read: '/run/flannel/subnet.env',
      tells:
        'FLANNEL_NETWORK, FLANNEL_SUBNET, FLANNEL_MTU and FLANNEL_IPMASQ the agent hands to the CNI plugin',
    },
  ],
  nodeAgentState(dp) {
    const env = dp.flannelSubnetEnv;
    if (!env) return undefined;
    return {
      part: 'flannelSubnetEnv',
      network: env.network,
      subnet: env.subnet,
      mtu: env.mtu,
      ipMasq: env.ipmasq,
      keys: {
        network: 'FLANNEL_NETWORK',
        subnet: 'FLANNEL_SUBNET',
        mtu: 'FLANNEL_MTU',
        ipMasq: 'FLANNEL_IPMASQ',
      },
    };
  },
  statusCommands: ['cat /run/flannel/subnet.env'],
  datapath: {
    overlayDevice: FLANNEL_VXLAN_DEV,
    overlayDevicePattern: OVERLAY_DEVICE,
    overlayDeviceDetail: 'vxlan, VNI 1',
    devices: /^(flannel\.\d+|cni0)$/,
    bridge: CNI_BRIDGE,
    peerRoute: 'via-overlay-onlink',
    peerRoutes: { expected: expectedPeerRoute, fits: routeFits },
    staticOverlayEntries: true,
    chainPrefix: 'FLANNEL-',
    masqueradeChains: ['FLANNEL-POSTRTG'],
    checkedOffline: true,
    peers: flannelPeers,
  },
  repair: {
    restart: { kind: 'DaemonSet', namespace: 'kube-flannel', name: 'kube-flannel-ds' },
    reinstallHint:
      'kubectl apply -f https://github.com/flannel-io/flannel/releases/latest/download/kube-flannel.yml',
    resettableInterface: CNI_BRIDGE,
    manifestFile: 'kube-flannel.yml',
    overlayMtu: {
      configMap: FLANNEL_CONFIG_MAP,
      configKey: 'net-conf.json',
      agentProcess: 'flanneld',
      stateFile: 'subnet.env',
      stateMtuKey: 'FLANNEL_MTU',
    },
  },
  agentConfig: flannelNetConf,
  nodeOverlayFacts(n) {
    const underlayIp = n.metadata.annotations?.[FLANNEL_PUBLIC_IP];
    const vtepMac = vtepMacOf(n);
    return { ...(underlayIp ? { underlayIp } : {}), ...(vtepMac ? { vtepMac } : {}) };
  },
  nodeRecordName: 'flannel annotation',
  podNetwork: {
    read(snapshot) {
      for (const cm of snapshot.cluster.configMaps) {
        if (cm.metadata.name !== FLANNEL_CONFIG_MAP) continue;
        const conf = cm.data?.['net-conf.json'];
        if (!conf) continue;
        try {
          const net = (JSON.parse(conf) as { Network?: unknown }).Network;
          if (typeof net === 'string')
            return {
              cidr: net,
              source: `cluster/configmaps.json#${cm.metadata.namespace ?? 'default'}/${FLANNEL_CONFIG_MAP} net-conf.json Network`,
            };
        } catch {
          // an unparsable net-conf.json is another rule's finding
        }
      }
      return undefined;
    },
    command: `kubectl -n kube-flannel get configmap ${FLANNEL_CONFIG_MAP} -o jsonpath="{.data.net-conf\\.json}"`,
  },
  detectCluster(input) {
    const agent = daemonSetSignals(input, this.agent);
    if (agent.length > 0) return agent;
    // A deleted DaemonSet leaves its ConfigMap and node annotations behind: still a flannel cluster.
    const out: DetectionSignal[] = [];
    const cm = input.cluster.configMaps.find((c) => /flannel/.test(c.metadata.name));
    if (cm) out.push({ strength: 'residue', what: `ConfigMap ${cm.metadata.name}` });
    const annotated = input.cluster.nodes.find((n) =>
      Object.keys(n.metadata.annotations ?? {}).some((k) => k.startsWith(ANNOTATION_PREFIX)),
    );
    if (annotated)
      out.push({
        strength: 'residue',
        what: `node ${annotated.metadata.name} carries ${ANNOTATION_PREFIX}* annotations`,
      });
    return out.length > 0 ? out : imageSignals(input, this.agent);
  },
  detectNode(dp: NodeDatapath) {
    const out: string[] = [];
    if (dp.flannelSubnetEnv !== undefined) out.push('/run/flannel/subnet.env');
    if (dp.links?.some((l) => l.ifname === FLANNEL_VXLAN_DEV)) out.push(`device ${FLANNEL_VXLAN_DEV}`);
    if (dp.cniConfigs?.some((f) => f.plugins.includes('flannel')))
      out.push('a CNI config with plugin type flannel');
    return out;
  },
};

/** Whether a device name is one of flannel's VXLAN devices (`flannel.<VNI>`). */
export function isFlannelOverlayDevice(name: string): boolean {
  return OVERLAY_DEVICE.test(name);
}
