/**
 * Calico. From recorded shapes until it runs in the lab: the calico-node DaemonSet and
 * `calicoctl node status` output the rule tests record, and upstream: calico.yaml / the Tigera
 * operator (DaemonSet calico-node, label k8s-app=calico-node, in kube-system or calico-system),
 * install-cni's 10-calico.conflist with plugin type `calico`, Felix's devices (`vxlan.calico` on
 * the IANA VXLAN port 4789, `tunl0` for IP-in-IP, `cali*` host veths, no bridge), BGP on TCP 179,
 * and the MTU docs (VXLAN 50 bytes, IP-in-IP 20). Its masquerade lives in Felix's
 * cali-POSTROUTING -> cali-nat-outgoing chains.
 */
import type { NodeDatapath } from '../core/datapath-types.ts';
import { type CniAdapter, daemonSetSignals, imageSignals } from './adapter.ts';
import { IANA_VXLAN_PORT, IPIP_OVERHEAD, VXLAN_OVERHEAD } from './vxlan.ts';

/** Felix's VXLAN device (IPv4). */
export const CALICO_VXLAN_DEV = 'vxlan.calico';
/** The kernel's IP-in-IP device Calico's IPIP mode routes through. */
export const CALICO_IPIP_DEV = 'tunl0';
/** BGP, which Calico's BIRD uses between nodes in BGP and IP-in-IP modes. */
export const BGP_PORT = 179;

export const calico: CniAdapter = {
  id: 'calico',
  displayName: 'Calico',
  provenance: 'recorded-shape',
  agent: {
    daemonSet: 'calico-node',
    daemonSetNames: /^calico-node$/,
    namespace: 'kube-system',
    podLabels: [['k8s-app', 'calico-node']],
    container: /^calico-node$/,
    images: /(^|\/)calico\/node:/,
    configMap: 'calico-config',
  },
  cniConfig: { pluginType: 'calico', fileNames: ['10-calico.conflist'] },
  encapsulations: [
    { kind: 'ipip', device: CALICO_IPIP_DEV, overhead: IPIP_OVERHEAD, port: undefined },
    { kind: 'vxlan', device: CALICO_VXLAN_DEV, overhead: VXLAN_OVERHEAD, port: IANA_VXLAN_PORT },
  ],
  controlPorts: [BGP_PORT],
  agentState: [
    {
      part: 'cniStatus',
      read: 'calicoctl node status',
      tells: 'whether the Calico process runs and the state of each BGP session',
      tool: 'calicoctl',
      reports: 'bgp-sessions',
    },
  ],
  nodeAgentState: () => undefined,
  statusCommands: ['calicoctl node status', 'calicoctl get bgppeer -o wide'],
  datapath: {
    overlayDevice: CALICO_IPIP_DEV,
    overlayDevicePattern: /^(tunl0|vxlan\.calico)$/,
    overlayDeviceDetail: 'ipip',
    devices: /^(vxlan\.calico|tunl0|cali[0-9a-f]{11})$/,
    bridge: undefined,
    peerRoute: 'bgp-or-overlay',
    staticOverlayEntries: false,
    chainPrefix: 'cali-',
    masqueradeChains: ['cali-POSTROUTING', 'cali-nat-outgoing'],
    checkedOffline: false,
  },
  repair: {
    restart: { kind: 'DaemonSet', namespace: 'kube-system', name: 'calico-node' },
    reinstallHint: 'kubectl -n kube-system get ds calico-node',
    resettableInterface: undefined,
    manifestFile: 'calico.yaml',
  },
  // IP pools (network, encapsulation) live in Calico's own resources, which are not collected.
  agentConfig: () => ({}),
  // Peers' tunnel addresses live in the CNI's own resources (not collected): InternalIP stands in.
  nodeOverlayFacts: () => ({}),
  nodeRecordName: 'Calico node record',
  detectCluster(input) {
    const agent = daemonSetSignals(input, this.agent);
    return agent.length > 0 ? agent : imageSignals(input, this.agent);
  },
  detectNode(dp: NodeDatapath) {
    const out: string[] = [];
    if (dp.cniStatus?.tool === 'calicoctl') out.push('`calicoctl node status` output');
    const dev = dp.links?.find((l) => l.ifname === CALICO_VXLAN_DEV || /^cali[0-9a-f]{11}$/.test(l.ifname));
    if (dev) out.push(`device ${dev.ifname}`);
    if (dp.cniConfigs?.some((f) => f.plugins.includes('calico')))
      out.push('a CNI config with plugin type calico');
    return out;
  },
};
