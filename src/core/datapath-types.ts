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
  rules: NftRule[];
  /**
   * Named sets (`cluster-ips`), with their elements. The parser always fills it; it is optional
   * only so that rulesets built before sets were kept still type-check.
   */
  sets?: NftSet[];
  /** Named maps (`service-ips`, `service-nodeports`, `no-endpoint-services`), with their elements. */
  maps?: NftMap[];
}

/** One rule: its text as `nft list ruleset` prints it, plus the statements that send the packet on. */
export interface NftRule {
  family: string;
  table: string;
  chain: string;
  handle?: number;
  text: string;
  comment?: string;
  /**
   * The rule's jumps, verdict-map lookups and DNATs, in order; absent when it has none. Rules that
   * follow a packet through kube-proxy's table (service dispatch, endpoint choice) read these
   * rather than re-parse the text.
   */
  statements?: NftStatement[];
}

/** The statements of a rule that decide where a packet goes next. */
export type NftStatement =
  | { kind: 'jump' | 'goto'; target: string }
  /** A lookup in a named verdict map (`... vmap @service-ips`); `key` as nft prints it. */
  | { kind: 'vmap-ref'; map: string; key: string }
  /** An anonymous verdict map (`numgen random mod 2 vmap { 0 : goto a, 1 : goto b }`). */
  | { kind: 'vmap'; key: string; elements: NftMapElement[] }
  /** `dnat to ADDR[:PORT]`; `addr` absent for a bare `dnat to :port`. */
  | { kind: 'dnat'; addr?: string; port?: number };

/** A verdict as a statement or a verdict-map value. */
export type NftVerdict =
  | { kind: 'accept' | 'drop' | 'reject' | 'return' | 'continue' }
  | { kind: 'jump' | 'goto'; target: string };

/** What a map element maps to: a verdict in a verdict map, data (an address, a mark) otherwise. */
export type NftMapValue = { kind: 'verdict'; verdict: NftVerdict } | { kind: 'data'; data: string[] };

/**
 * A set element. `key` holds one text per component of a concatenated key (`10.96.0.10 . udp .
 * 53` is `['10.96.0.10', 'udp', '53']`), in nft's own notation (`10.0.0.0/8`, `1000-2000`).
 */
export interface NftSetElement {
  key: string[];
  comment?: string;
}
/** A map element: a set element with the value it maps to. */
export interface NftMapElement extends NftSetElement {
  value: NftMapValue;
}

/** A named set; `keyType` has one entry per component (`ipv4_addr`, `inet_proto`, ...). */
export interface NftSet {
  family: string;
  table: string;
  name: string;
  keyType: string[];
  flags?: string[];
  comment?: string;
  elements: NftSetElement[];
}
/** A named map; `valueType` is `verdict` for a verdict map. */
export interface NftMap extends Omit<NftSet, 'elements'> {
  valueType: string;
  elements: NftMapElement[];
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
