/**
 * The bundle layout (PRODUCT.md): where each part of a snapshot lives inside a bundle
 * directory. Writers and readers both go through these helpers, so the layout is defined once.
 * Machine-readable sources are JSON or the raw command output; the browse-only files
 * (components/*.txt, reports) are derived from them.
 */
import type { ItemStates } from '../../core/item-state.ts';

export const BUNDLE_FORMAT = 'netdoctor-bundle';
export const BUNDLE_VERSION = 1;

export const MANIFEST = 'manifest.json';

/** Reports written at the top of every bundle. */
export const REPORT_FILES = {
  markdown: 'DIAGNOSIS-REPORT.md',
  summary: 'diagnosis-summary.txt',
  json: 'report.json',
  html: 'report.html',
} as const;

/** Cluster objects: one JSON list per kind (`{"items": [...]}`, the API's list form). */
export const CLUSTER_FILES = {
  nodes: 'cluster/nodes.json',
  namespaces: 'cluster/namespaces.json',
  pods: 'cluster/pods.json',
  services: 'cluster/services.json',
  endpointSlices: 'cluster/endpointslices.json',
  daemonSets: 'cluster/daemonsets.json',
  deployments: 'cluster/deployments.json',
  configMaps: 'cluster/configmaps.json',
  networkPolicies: 'cluster/networkpolicies.json',
  events: 'cluster/events.json',
  version: 'cluster/version.json',
} as const;
export type ClusterFileKey = keyof typeof CLUSTER_FILES;

/** `logs/<ns>/<pod>/<container>.log`, and `<container>.previous.log` for the last crash. */
export function logFile(namespace: string, pod: string, container: string, previous = false): string {
  return `logs/${namespace}/${pod}/${container}${previous ? '.previous' : ''}.log`;
}

/**
 * Per-node raw command output. The parsers in src/datapath/parsers read exactly these, so a
 * bundle can be re-parsed (and the parse timed) offline.
 */
export const NODE_FILES = {
  links: 'ip-link.json', // ip -d -j addr show  (links with their addresses)
  routes: 'ip-route.json', // ip -j route show table all
  ipRules: 'ip-rule.json', // ip -j rule show (policy routing)
  neighbors: 'ip-neigh.json', // ip -j neigh show
  fdb: 'bridge-fdb.json', // bridge -j fdb show
  iptablesLegacy: 'iptables-legacy.txt', // iptables-legacy-save
  iptablesNft: 'iptables-nft.txt', // iptables-nft-save
  nftRuleset: 'nft-ruleset.json', // nft -j list ruleset, less iptables-nft's own tables when iptables-nft.txt holds them
  sysctls: 'sysctl.txt', // sysctl -a style `key = value` lines for the keys of interest
  modules: 'modules.txt', // /proc/modules
  flannelSubnetEnv: 'subnet.env', // /run/flannel/subnet.env
  resolvConf: 'resolv.conf', // /etc/resolv.conf
  vxlanCapture: 'vxlan-capture.json', // packets per peer seen on the overlay port
  cniStatus: 'cni-status.txt', // calicoctl node status / cilium status, when the CNI has one
} as const;
export type NodeFileKey = keyof typeof NODE_FILES;

/** CNI config files are copied under this folder of the node's directory, by their own names. */
export const NODE_CNI_DIR = 'cni-net.d';

export function nodeDir(node: string): string {
  return `nodes/${node}`;
}
export function nodeFile(node: string, key: NodeFileKey): string {
  return `${nodeDir(node)}/${NODE_FILES[key]}`;
}

export const PROBES_FILE = 'probes/results.json';

/** Human-browsable per-component summaries (derived; never read back). */
export const COMPONENT_FILES = {
  coredns: 'components/coredns.txt',
  kubeProxy: 'components/kube-proxy.txt',
  cni: 'components/cni.txt',
  dnsTests: 'components/dns-test-results.txt',
  events: 'components/kube-system-events.txt',
} as const;

/** Bundle manifest: identifies a netdoctor bundle and lists what it holds and lacks. */
export interface BundleManifest {
  format: typeof BUNDLE_FORMAT;
  version: number;
  createdAt: string;
  netdoctorVersion: string;
  source: 'live' | 'lab' | 'example' | 'synthetic';
  description?: string;
  cluster?: { name?: string; context?: string; kubernetesVersion?: string };
  nodes: string[];
  /** Every file in the bundle except the manifest itself, with its size in bytes. */
  files: { path: string; bytes: number }[];
  gaps: { collector: string; reason: string; detail?: string; node?: string }[];
  /**
   * What became of every item the collection tried to gather, by bundle path (see
   * item-state.ts). Absent from bundles written before it was recorded.
   */
  items?: ItemStates;
  /** How many secret values were replaced with `REDACTED` while writing. */
  redactions?: number;
}
