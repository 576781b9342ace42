/**
 * Schemas of each node file as parsed (core/datapath-types.ts): the parsers turn command output
 * into these shapes, and the schema checks the result before any rule reads it, so a parser
 * that lets an odd value through cannot hand a rule something its type does not promise.
 */
import type { NodeFileKey } from '../layout.ts';
import {
  arrayOf,
  bool,
  int,
  num,
  obj,
  oneOfStrings,
  type Schema,
  str,
  stringMap,
  strings,
} from './common.ts';

const link = obj(
  {
    ifindex: num,
    ifname: str,
    flags: strings,
    mtu: num,
    operstate: str,
    linkType: str,
    address: str,
    link: str,
    master: str,
    kind: str,
    vxlan: obj({ id: num, port: num, local: str, dev: str, learning: bool }),
    addrs: arrayOf(
      obj(
        { family: oneOfStrings(['inet', 'inet6']), local: str, prefixlen: num, broadcast: str, scope: str },
        ['family', 'local', 'prefixlen'],
      ),
    ),
  },
  ['ifindex', 'ifname', 'flags', 'mtu', 'operstate', 'addrs'],
);

const route = obj(
  {
    dst: str,
    gateway: str,
    dev: str,
    protocol: str,
    scope: str,
    prefsrc: str,
    type: str,
    table: str,
    flags: strings,
    metric: num,
  },
  ['dst', 'flags'],
);

const neighbor = obj({ dst: str, dev: str, lladdr: str, state: strings }, ['dst', 'dev', 'state']);

const fdb = obj({ mac: str, dev: str, dst: str, master: str, vlan: num, flags: strings, state: str }, [
  'mac',
  'dev',
  'flags',
]);

const iptablesDump = obj(
  {
    backend: oneOfStrings(['legacy', 'nf_tables', 'unknown']),
    tables: {
      type: 'object',
      additionalProperties: obj(
        {
          name: str,
          chains: stringMap,
          rules: arrayOf(
            obj(
              {
                chain: str,
                spec: str,
                target: str,
                proto: str,
                source: str,
                destination: str,
                inIface: str,
                outIface: str,
                dport: str,
                comment: str,
                negations: strings,
              },
              ['chain', 'spec', 'negations'],
            ),
          ),
        },
        ['name', 'chains', 'rules'],
      ),
    },
  },
  ['backend', 'tables'],
);

const nftRuleset = obj(
  {
    tables: arrayOf(obj({ family: str, name: str }, ['family', 'name'])),
    chains: arrayOf(
      obj({ family: str, table: str, name: str, hook: str, policy: str, type: str }, [
        'family',
        'table',
        'name',
      ]),
    ),
    rules: arrayOf(
      obj({ family: str, table: str, chain: str, handle: num, text: str, comment: str }, [
        'family',
        'table',
        'chain',
        'text',
      ]),
    ),
  },
  ['tables', 'chains', 'rules'],
);

/** `ip -j rule`: one policy-routing rule. */
const ipRule = obj(
  {
    priority: num,
    src: str,
    dst: str,
    iif: str,
    oif: str,
    fwmark: num,
    fwmask: num,
    ipproto: str,
    dport: num,
    not: bool,
    table: str,
    action: str,
  },
  ['priority', 'src', 'action'],
);

/** The schema of each node file's parsed value. */
export const NODE_VALUE_SCHEMAS: Record<NodeFileKey, Schema> = {
  links: arrayOf(link),
  routes: arrayOf(route),
  ipRules: arrayOf(ipRule),
  neighbors: arrayOf(neighbor),
  fdb: arrayOf(fdb),
  iptablesLegacy: iptablesDump,
  iptablesNft: iptablesDump,
  nftRuleset,
  sysctls: stringMap,
  modules: strings,
  flannelSubnetEnv: obj({ network: str, subnet: str, mtu: num, ipmasq: bool }),
  resolvConf: obj({ nameservers: strings, search: strings, options: strings }, [
    'nameservers',
    'search',
    'options',
  ]),
  vxlanCapture: obj(
    {
      iface: str,
      port: int,
      seconds: num,
      packetsByPeer: { type: 'object', additionalProperties: num },
      total: num,
    },
    ['iface', 'port', 'seconds', 'packetsByPeer', 'total'],
  ),
  cniStatus: obj({ tool: oneOfStrings(['calicoctl', 'cilium']), output: str }, ['tool', 'output']),
};

/**
 * A CNI config file as parsed. A broken config is valid here (its `error` says what is wrong):
 * a broken config is what `cni.config-missing` reports, so it must reach the rule.
 */
export const CNI_CONFIG_SCHEMA: Schema = obj(
  { file: str, name: str, cniVersion: str, plugins: strings, raw: str, error: str },
  ['file', 'plugins', 'raw'],
);
