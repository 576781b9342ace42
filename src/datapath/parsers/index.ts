/**
 * The datapath parsers: one per raw node file of the bundle layout, plus the CNI config and
 * Corefile parsers, which take their input from elsewhere (cni-net.d files, a ConfigMap).
 */
import type { NodeFileParsers } from '../../core/datapath-types.ts';
import { parseBridgeFdb } from './bridge-fdb.ts';
import { parseCniStatus } from './cni-status.ts';
import { parseFlannelSubnetEnv } from './flannel-subnet-env.ts';
import { parseIpAddr } from './ip-addr.ts';
import { parseIpNeigh } from './ip-neigh.ts';
import { parseIpRoute } from './ip-route.ts';
import { parseIpRule } from './ip-rule.ts';
import { parseIptablesSave } from './iptables-save.ts';
import { parseNftRuleset } from './nft-ruleset.ts';
import { parseProcModules } from './proc-modules.ts';
import { parseResolvConf } from './resolv-conf.ts';
import { parseSysctl } from './sysctl.ts';
import { parseVxlanCapture } from './vxlan-capture.ts';

/** Keyed like NODE_FILES (collect/bundle/layout.ts) and NodeDatapath. */
export const NODE_FILE_PARSERS: NodeFileParsers = {
  links: parseIpAddr,
  routes: parseIpRoute,
  ipRules: parseIpRule,
  neighbors: parseIpNeigh,
  fdb: parseBridgeFdb,
  iptablesLegacy: parseIptablesSave,
  iptablesNft: parseIptablesSave,
  nftRuleset: parseNftRuleset,
  sysctls: parseSysctl,
  modules: parseProcModules,
  flannelSubnetEnv: parseFlannelSubnetEnv,
  resolvConf: parseResolvConf,
  vxlanCapture: parseVxlanCapture,
  cniStatus: parseCniStatus,
};

export { parseBridgeFdb } from './bridge-fdb.ts';
export { parseCniConfig } from './cni-config.ts';
export type { Corefile, CorefileDirective, CorefileServerBlock, CorefileZone } from './corefile.ts';
export { COREDNS_PLUGINS, corefilePlugins, parseCorefile, unknownCorefilePlugins } from './corefile.ts';
export { parseFlannelSubnetEnv } from './flannel-subnet-env.ts';
export { parseIpAddr } from './ip-addr.ts';
export { parseIpNeigh } from './ip-neigh.ts';
export { parseIpRoute } from './ip-route.ts';
export { parseIpRule } from './ip-rule.ts';
export { iptablesOption, parseIptablesSave, tokenizeIptablesSpec } from './iptables-save.ts';
export { parseNftRuleset } from './nft-ruleset.ts';
export { parseProcModules } from './proc-modules.ts';
export { parseResolvConf } from './resolv-conf.ts';
export { parseSysctl } from './sysctl.ts';
export { parseVxlanCapture } from './vxlan-capture.ts';
