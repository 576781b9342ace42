/**
 * Captures a node's raw files exactly as the collectors do (layout.ts NODE_FILES), by running
 * the same commands inside the node's namespace.
 */
import type { NodeFileKey } from '../../src/collect/bundle/layout.ts';
import type { BundleNodeInput } from '../../src/collect/bundle/types.ts';
import type { VxlanCapture } from '../../src/core/datapath-types.ts';
import type { Gap } from '../../src/core/model.ts';
import { tryRunSync } from './sh.ts';
import { CLUSTER_CIDR, CLUSTER_DNS_IP, type NodeSpec } from './world.ts';

export const SYSCTL_KEYS = [
  'net.ipv4.ip_forward',
  'net.bridge.bridge-nf-call-iptables',
  'net.bridge.bridge-nf-call-ip6tables',
  'net.ipv4.conf.all.rp_filter',
  'net.ipv4.conf.all.route_localnet',
  'net.ipv4.conf.eth0.forwarding',
];

/** /etc/cni/net.d/10-flannel.conflist as the kube-flannel manifest installs it. */
export const FLANNEL_CONFLIST = `{
  "name": "cbr0",
  "cniVersion": "0.3.1",
  "plugins": [
    {
      "type": "flannel",
      "delegate": {
        "hairpinMode": true,
        "isDefaultGateway": true
      }
    },
    {
      "type": "portmap",
      "capabilities": {
        "portMappings": true
      }
    }
  ]
}
`;

export function subnetEnv(n: NodeSpec, mtu: number): string {
  return `FLANNEL_NETWORK=${CLUSTER_CIDR}\nFLANNEL_SUBNET=${n.gateway}/24\nFLANNEL_MTU=${mtu}\nFLANNEL_IPMASQ=true\n`;
}

/** resolv.conf as kubelet writes it into a pod of `namespace` (dnsPolicy ClusterFirst). */
export function podResolvConf(namespace: string): string {
  return `search ${namespace}.svc.cluster.local svc.cluster.local cluster.local\nnameserver ${CLUSTER_DNS_IP}\noptions ndots:5\n`;
}

const COMMANDS: [NodeFileKey, string[]][] = [
  ['links', ['ip', '-d', '-j', 'addr', 'show']],
  ['routes', ['ip', '-j', 'route', 'show', 'table', 'all']],
  ['neighbors', ['ip', '-j', 'neigh', 'show']],
  ['fdb', ['bridge', '-j', 'fdb', 'show']],
  ['iptablesLegacy', ['iptables-legacy-save']],
  ['iptablesNft', ['iptables-nft-save']],
  ['nftRuleset', ['nft', '-j', 'list', 'ruleset']],
  ['sysctls', ['sysctl', ...SYSCTL_KEYS]],
];

export interface CaptureOptions {
  /** subnet.env contents, or null when the file does not exist on the node. */
  subnetEnv: string | null;
  /** Whether /etc/cni/net.d/10-flannel.conflist is present. */
  cniConfig: boolean;
  capture: VxlanCapture;
}

export function captureNode(n: NodeSpec, opts: CaptureOptions, gaps: Gap[]): BundleNodeInput {
  const files: Partial<Record<NodeFileKey, string>> = {};
  for (const [key, argv] of COMMANDS) {
    const r = tryRunSync(n.ns, argv);
    // sysctl exits non-zero when one key is unknown but still prints the others.
    if (r.code !== 0 && key !== 'sysctls') {
      gaps.push({
        collector: `node/${n.name}/${key}`,
        reason: 'error',
        node: n.name,
        detail: r.stderr.trim(),
      });
      continue;
    }
    files[key] = r.stdout;
  }
  const modules = tryRunSync(n.ns, ['cat', '/proc/modules']);
  if (modules.code === 0) files.modules = modules.stdout;
  else {
    gaps.push({
      collector: `node/${n.name}/modules`,
      reason: 'not-found',
      node: n.name,
      detail: '/proc/modules does not exist: the kernel has no loadable modules (everything is built in)',
    });
  }
  if (opts.subnetEnv === null) {
    gaps.push({
      collector: `node/${n.name}/flannelSubnetEnv`,
      reason: 'not-found',
      node: n.name,
      detail: '/run/flannel/subnet.env: no such file or directory',
    });
  } else files.flannelSubnetEnv = opts.subnetEnv;
  files.resolvConf = podResolvConf('netdoctor');
  files.vxlanCapture = `${JSON.stringify(opts.capture, null, 2)}\n`;
  return { files, cniFiles: opts.cniConfig ? [{ file: '10-flannel.conflist', text: FLANNEL_CONFLIST }] : [] };
}
