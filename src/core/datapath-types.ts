/**
 * A node's datapath as the parsers (src/datapath/parsers) produce it from real command output.
 * Field names follow iproute2's JSON where one exists, so evidence quotes read like `ip` output.
 */

/** `ip -j link` / `ip -j addr`: one interface. */
export interface Link {
  ifindex: number;
  ifname: string;
  flags: string[];
  mtu: number;
  operstate: string;
  linkType?: string;
  address?: string;
  /** Peer/lower device (`link` in iproute2 JSON), e.g. the veth peer or VXLAN underlay. */
  link?: string;
  /** Bridge this interface is enslaved to (`master`). */
  master?: string;
  /** `linkinfo.info_kind`: bridge, vxlan, veth, dummy, ... */
  kind?: string;
  vxlan?: { id?: number; port?: number; local?: string; dev?: string; learning?: boolean };
  addrs: LinkAddr[];
}
export interface LinkAddr {
  family: 'inet' | 'inet6';
  local: string;
  prefixlen: number;
  broadcast?: string;
  scope?: string;
}

/** `ip -j route show table all` (main table entries have `table: 'main'`). */
export interface Route {
  /** `default` or a CIDR; host routes are normalised to `/32` or `/128`. */
  dst: string;
  gateway?: string;
  dev?: string;
  protocol?: string;
  scope?: string;
  prefsrc?: string;
  type?: string;
  table?: string;
  flags: string[];
  metric?: number;
}

/**
 * `ip -j rule show`: one policy-routing rule. Rules are tried by ascending priority; the first
 * that matches and whose action decides (a table with a route for the address, or a discard)
 * wins.
 */
export interface IpRule {
  priority: number;
  /** `all` or a CIDR. */
  src: string;
  /** A CIDR; absent: any destination. */
  dst?: string;
  iif?: string;
  oif?: string;
  fwmark?: number;
  fwmask?: number;
  ipproto?: string;
  dport?: number;
  /** The selector is negated (`not from ...`). */
  not?: boolean;
  /** The table looked up (`main`, `local`, `100`); absent for a discard. */
  table?: string;
  /** `lookup` unless the rule discards (`blackhole`, `unreachable`, `prohibit`) or jumps. */
  action: string;
}

/** `ip -j neigh`. */
export interface Neighbor {
  dst: string;
  dev: string;
  lladdr?: string;
  state: string[];
}

/** `bridge -j fdb`. */
export interface FdbEntry {
  mac: string;
  dev: string;
  /** VXLAN remote (`dst` in bridge's JSON). */
  dst?: string;
  master?: string;
  vlan?: number;
  flags: string[];
  state?: string;
}

/** One table of an `iptables-save` dump. */
export interface IptablesTable {
  name: string;
  /** Chain name -> default policy (`-` for user chains). */
  chains: Record<string, string>;
  rules: IptablesRule[];
}
export interface IptablesRule {
  chain: string;
  /** The rule as written by iptables-save, without the leading `-A CHAIN`. */
  spec: string;
  /** Target after `-j` (or `-g`). */
  target?: string;
  /** Parsed match fields that rules and the tracer read. */
  proto?: string;
  source?: string;
  destination?: string;
  inIface?: string;
  outIface?: string;
  dport?: string;
  comment?: string;
  negations: string[];
}
/** A whole `iptables-save` dump; `backend` from its header comment. */
export interface IptablesDump {
  backend: 'legacy' | 'nf_tables' | 'unknown';
  tables: Record<string, IptablesTable>;
}

/** `nft -j list ruleset`, reduced to what is analyzed. */
export interface NftRuleset {
  tables: { family: string; name: string }[];
  chains: { family: string; table: string; name: string; hook?: string; policy?: string; type?: string }[];
  rules: { family: string; table: string; chain: string; handle?: number; text: string; comment?: string }[];
}

/** A CNI config file from /etc/cni/net.d. `error` when it does not parse. */
export interface CniConfigFile {
  file: string;
  name?: string;
  cniVersion?: string;
  /** Plugin types in chain order (`flannel`, `portmap`, `bridge`, ...). */
  plugins: string[];
  raw: string;
  error?: string;
}

/** /run/flannel/subnet.env. */
export interface FlannelSubnetEnv {
  network?: string;
  subnet?: string;
  mtu?: number;
  ipmasq?: boolean;
}

/** /etc/resolv.conf. */
export interface ResolvConf {
  nameservers: string[];
  search: string[];
  options: string[];
}

/** Packets seen on the overlay port while cross-node probes ran. */
export interface VxlanCapture {
  iface: string;
  port: number;
  seconds: number;
  /** Peer underlay IP -> packets seen to/from it. */
  packetsByPeer: Record<string, number>;
  total: number;
}

/**
 * Everything collected from one node. Each part is optional: an absent part is a gap (recorded
 * in Snapshot.gaps with the node name), never an empty list standing in for "unknown".
 */
export interface NodeDatapath {
  name: string;
  links?: Link[];
  routes?: Route[];
  /** Policy-routing rules; absent from bundles that predate their collection. */
  ipRules?: IpRule[];
  neighbors?: Neighbor[];
  fdb?: FdbEntry[];
  iptablesLegacy?: IptablesDump;
  iptablesNft?: IptablesDump;
  nftRuleset?: NftRuleset;
  /** e.g. `net.ipv4.ip_forward` -> `1`. */
  sysctls?: Record<string, string>;
  /** Loaded kernel modules of interest (br_netfilter, vxlan, ...), when known. */
  modules?: string[];
  cniConfigs?: CniConfigFile[];
  flannelSubnetEnv?: FlannelSubnetEnv;
  resolvConf?: ResolvConf;
  vxlanCapture?: VxlanCapture;
  /** The CNI's own status report, where the CNI has one (`calicoctl node status`, `cilium status`). */
  cniStatus?: CniStatus;
}

/** A CNI status command's raw output; rules parse it (datapath/parsers/cni-status.ts). */
export interface CniStatus {
  tool: 'calicoctl' | 'cilium';
  output: string;
}

/**
 * The parser for each raw node file of the bundle layout (collect/bundle/layout.ts NODE_FILES):
 * keys and NodeDatapath fields share their names. A parser throws an Error naming what is
 * wrong when its input is malformed; the bundle reader turns that into a `parse-error` gap.
 */
export type NodeFileParsers = {
  [K in keyof NodeDatapath as K extends 'name' | 'cniConfigs' ? never : K]-?: (
    text: string,
  ) => NonNullable<NodeDatapath[K]>;
};
