/**
 * Cilium. From recorded shapes until it runs in the lab: the cilium DaemonSet and `cilium status`
 * output the rule tests record, and upstream: the Helm chart (DaemonSet cilium in kube-system,
 * label k8s-app=cilium, image quay.io/cilium/cilium), its CNI config 05-cilium.conflist (older
 * releases 05-cilium.conf) with plugin type `cilium-cni`, the agent's devices (`cilium_host` /
 * `cilium_net` always, `cilium_vxlan` in the default VXLAN tunnel mode on port 8472 or
 * `cilium_geneve` on 6081, `lxc*` pod veths, no bridge), and its iptables masquerade chain
 * CILIUM_POST_nat (when BPF masquerading is off). Peer routes are not per-peer kernel routes
 * in tunnel mode: the eBPF tunnel map holds them, so the offline route checks do not apply.
 */
import type { NodeDatapath } from '../core/datapath-types.ts';
import { type CniAdapter, daemonSetSignals, imageSignals } from './adapter.ts';
import { LINUX_VXLAN_PORT, VXLAN_OVERHEAD } from './vxlan.ts';

/** The VXLAN device in Cilium's tunnel mode. */
export const CILIUM_VXLAN_DEV = 'cilium_vxlan';
/** The host-side device of Cilium's host endpoint. */
export const CILIUM_HOST_DEV = 'cilium_host';
/** Geneve: Cilium's other tunnel protocol and its IANA port. */
export const CILIUM_GENEVE_DEV = 'cilium_geneve';
export const GENEVE_PORT = 6081;
/** cilium-health's node-to-node port. */
export const CILIUM_HEALTH_PORT = 4240;

export const cilium: CniAdapter = {
  id: 'cilium',
  displayName: 'Cilium',
  provenance: 'recorded-shape',
  agent: {
    daemonSet: 'cilium',
    daemonSetNames: /^cilium$/,
    namespace: 'kube-system',
    podLabels: [['k8s-app', 'cilium']],
    container: /^cilium-agent$/,
    images: /(^|\/)cilium\/cilium:/,
    configMap: 'cilium-config',
  },
  cniConfig: { pluginType: 'cilium-cni', fileNames: ['05-cilium.conflist', '05-cilium.conf'] },
  encapsulations: [
    { kind: 'vxlan', device: CILIUM_VXLAN_DEV, overhead: VXLAN_OVERHEAD, port: LINUX_VXLAN_PORT },
    // Geneve without options: the same 50 bytes as VXLAN (8-byte header over UDP).
    { kind: 'geneve', device: CILIUM_GENEVE_DEV, overhead: VXLAN_OVERHEAD, port: GENEVE_PORT },
  ],
  controlPorts: [CILIUM_HEALTH_PORT],
  agentState: [
    {
      part: 'cniStatus',
      read: 'cilium status',
      tells: "the agent's own health: Kubernetes, KVStore, health daemon and node reachability",
      tool: 'cilium',
      reports: 'agent-health',
      // Components of `cilium status` that must read Ok (or be disabled) for the agent to work.
      mustBeOk: ['Cilium', 'Kubernetes', 'KVStore', 'Cilium health daemon'],
    },
  ],
  nodeAgentState: () => undefined,
  statusCommands: ['cilium status --verbose', 'cilium-health status'],
  datapath: {
    overlayDevice: CILIUM_VXLAN_DEV,
    overlayDevicePattern: /^cilium_(vxlan|geneve)$/,
    overlayDeviceDetail: 'vxlan, port 8472',
    devices: /^(cilium_(vxlan|geneve|host|net)|lxc[0-9a-f]+)$/,
    bridge: undefined,
    peerRoute: 'ebpf-tunnel-map',
    staticOverlayEntries: false,
    chainPrefix: 'CILIUM_',
    masqueradeChains: ['CILIUM_POST_nat'],
    checkedOffline: false,
  },
  repair: {
    restart: { kind: 'DaemonSet', namespace: 'kube-system', name: 'cilium' },
    reinstallHint: 'kubectl -n kube-system get ds cilium',
    resettableInterface: undefined,
    // Cilium installs with Helm or the cilium CLI; `helm template` output saved under this name.
    manifestFile: 'cilium.yaml',
  },
  // cilium-config (tunnel-port, cluster-pool-ipv4-cidr) is not read yet.
  agentConfig: () => ({}),
  // Peers' tunnel addresses live in the CNI's own resources (not collected): InternalIP stands in.
  nodeOverlayFacts: () => ({}),
  nodeRecordName: 'CiliumNode node record',
  detectCluster(input) {
    const agent = daemonSetSignals(input, this.agent);
    return agent.length > 0 ? agent : imageSignals(input, this.agent);
  },
  detectNode(dp: NodeDatapath) {
    const out: string[] = [];
    if (dp.cniStatus?.tool === 'cilium') out.push('`cilium status` output');
    const dev = dp.links?.find((l) => l.ifname === CILIUM_HOST_DEV || l.ifname === CILIUM_VXLAN_DEV);
    if (dev) out.push(`device ${dev.ifname}`);
    if (dp.cniConfigs?.some((f) => f.plugins.includes('cilium-cni')))
      out.push('a CNI config with plugin type cilium-cni');
    return out;
  },
};
