/**
 * Host firewall rules someone added by hand or by an old script: which backend, table, chain and
 * match vary; each goes in at the top of its chain, where it wins over the CNI's and
 * kube-proxy's accepts. A DROP on pod traffic is `node.firewall-drops-traffic`; a DROP on the
 * VXLAN port is `overlay.port-blocked`.
 */
import type { Layer, RootCauseCategory } from '../../../core/model.ts';
import { SERVER_PORT } from '../../../probe/plan.ts';
import type { FaultContext } from '../../faults/fault.ts';
import { insertRuleToStay } from '../../faults/iptables-insert.ts';
import { NET } from '../../topology.ts';
import { podCidrOf, type Shape, theNode } from '../shape.ts';

/** What a rule's match is written from: the broken node's and its peer's subnets and addresses. */
interface Sides {
  nodePods: string;
  peerPods: string;
  peerIp: string;
}

function sides(ctx: FaultContext): Sides {
  return { nodePods: podCidrOf(ctx, ctx.node), peerPods: podCidrOf(ctx, ctx.peer), peerIp: ctx.peer.ip };
}

interface IptablesRule {
  variant: string;
  backend: 'iptables-nft' | 'iptables-legacy';
  table: 'filter' | 'raw' | 'mangle';
  chain: string;
  match: (s: Sides) => string;
  target: 'DROP' | 'REJECT';
  layer: Layer;
  category: RootCauseCategory;
  what: string;
}

const POD_DROP = { layer: 'node', category: 'node.firewall-drops-traffic' } as const;
const VXLAN_DROP = { layer: 'overlay', category: 'overlay.port-blocked' } as const;
const VXLAN = `-p udp --dport ${NET.vxlanPort}`;

const IPTABLES_RULES: IptablesRule[] = [
  {
    variant: 'filter-forward-to-pods',
    backend: 'iptables-nft',
    table: 'filter',
    chain: 'FORWARD',
    match: (s) => `-d ${s.nodePods}`,
    target: 'DROP',
    ...POD_DROP,
    what: 'forwarded traffic to its pods',
  },
  {
    variant: 'filter-forward-from-pods',
    backend: 'iptables-nft',
    table: 'filter',
    chain: 'FORWARD',
    match: (s) => `-s ${s.nodePods}`,
    target: 'DROP',
    ...POD_DROP,
    what: 'forwarded traffic from its pods',
  },
  {
    variant: 'filter-forward-tcp-to-pods',
    backend: 'iptables-nft',
    table: 'filter',
    chain: 'FORWARD',
    match: (s) => `-d ${s.nodePods} -p tcp --dport ${SERVER_PORT}`,
    target: 'DROP',
    ...POD_DROP,
    what: `TCP ${SERVER_PORT} to its pods`,
  },
  {
    variant: 'filter-forward-icmp-to-pods',
    backend: 'iptables-nft',
    table: 'filter',
    chain: 'FORWARD',
    match: (s) => `-d ${s.nodePods} -p icmp`,
    target: 'DROP',
    ...POD_DROP,
    what: 'ICMP to its pods',
  },
  {
    variant: 'filter-forward-peer-pair',
    backend: 'iptables-nft',
    table: 'filter',
    chain: 'FORWARD',
    match: (s) => `-s ${s.peerPods} -d ${s.nodePods}`,
    target: 'DROP',
    ...POD_DROP,
    what: "traffic from the peer's pods to its pods",
  },
  {
    variant: 'filter-forward-reject-to-pods',
    backend: 'iptables-nft',
    table: 'filter',
    chain: 'FORWARD',
    match: (s) => `-d ${s.nodePods}`,
    target: 'REJECT',
    ...POD_DROP,
    what: 'forwarded traffic to its pods (REJECT)',
  },
  {
    variant: 'filter-forward-dns-from-pods',
    backend: 'iptables-nft',
    table: 'filter',
    chain: 'FORWARD',
    match: (s) => `-s ${s.nodePods} -p udp --dport 53`,
    target: 'DROP',
    ...POD_DROP,
    what: 'DNS over UDP from its pods',
  },
  {
    variant: 'raw-prerouting-to-pods',
    backend: 'iptables-nft',
    table: 'raw',
    chain: 'PREROUTING',
    match: (s) => `-d ${s.nodePods}`,
    target: 'DROP',
    ...POD_DROP,
    what: 'traffic to its pods, before conntrack',
  },
  {
    variant: 'mangle-forward-to-pods',
    backend: 'iptables-nft',
    table: 'mangle',
    chain: 'FORWARD',
    match: (s) => `-d ${s.nodePods}`,
    target: 'DROP',
    ...POD_DROP,
    what: 'forwarded traffic to its pods, in mangle',
  },
  {
    variant: 'mangle-prerouting-peer-pair',
    backend: 'iptables-nft',
    table: 'mangle',
    chain: 'PREROUTING',
    match: (s) => `-s ${s.peerPods} -d ${s.nodePods}`,
    target: 'DROP',
    ...POD_DROP,
    what: "traffic from the peer's pods, in mangle",
  },
  {
    variant: 'legacy-filter-forward-to-pods',
    backend: 'iptables-legacy',
    table: 'filter',
    chain: 'FORWARD',
    match: (s) => `-d ${s.nodePods}`,
    target: 'DROP',
    ...POD_DROP,
    what: 'forwarded traffic to its pods, in the legacy backend',
  },
  {
    variant: 'filter-input-vxlan',
    backend: 'iptables-nft',
    table: 'filter',
    chain: 'INPUT',
    match: () => VXLAN,
    target: 'DROP',
    ...VXLAN_DROP,
    what: 'incoming VXLAN from every peer',
  },
  {
    variant: 'filter-output-vxlan-to-peer',
    backend: 'iptables-nft',
    table: 'filter',
    chain: 'OUTPUT',
    match: (s) => `${VXLAN} -d ${s.peerIp}`,
    target: 'DROP',
    ...VXLAN_DROP,
    what: 'outgoing VXLAN to the peer',
  },
  {
    variant: 'raw-prerouting-vxlan-from-peer',
    backend: 'iptables-nft',
    table: 'raw',
    chain: 'PREROUTING',
    match: (s) => `${VXLAN} -s ${s.peerIp}`,
    target: 'DROP',
    ...VXLAN_DROP,
    what: 'incoming VXLAN from the peer, before conntrack',
  },
];

function iptablesShape(r: IptablesRule): Shape {
  const cmd = `${r.backend} -w -t ${r.table}`;
  const spec = (data: Record<string, string>) => `${r.chain} ${data['match']} -j ${r.target}`;
  return {
    id: `firewall/${r.variant}`,
    layer: r.layer,
    category: r.category,
    scope: 'node',
    subjects: theNode,
    summary: (node) => `${r.backend} ${r.table} ${r.chain} ${r.target}s ${r.what} on ${node.name}`,
    inject: async (ctx) => {
      const match = r.match(sides(ctx));
      await insertRuleToStay(ctx, ctx.node, cmd, r.chain, `${match} -j ${r.target}`);
      return { match };
    },
    heal: async (ctx, data) => {
      ctx.tryOnNode(ctx.node, `while ${cmd} -D ${spec(data)} 2>/dev/null; do :; done`);
    },
    residue: (ctx, data) =>
      ctx.tryOnNode(ctx.node, `${cmd} -C ${spec(data)}`).code === 0
        ? [`${ctx.node.name}: ${r.backend} -t ${r.table} still has ${spec(data)}`]
        : [],
  };
}

/** A table of its own in nft, which iptables-save never shows. */
interface NftRule {
  variant: string;
  hook: 'prerouting' | 'forward' | 'input';
  priority: number;
  rule: (s: Sides) => string;
  layer: Layer;
  category: RootCauseCategory;
  what: string;
}

const NFT_TABLE = 'ndlab_fault';

const NFT_RULES: NftRule[] = [
  {
    variant: 'nft-table-forward-to-pods',
    hook: 'forward',
    priority: -5,
    rule: (s) => `ip daddr ${s.nodePods} drop`,
    ...POD_DROP,
    what: 'forwarded traffic to its pods',
  },
  {
    variant: 'nft-table-forward-tcp-to-pods',
    hook: 'forward',
    priority: -5,
    rule: (s) => `ip daddr ${s.nodePods} tcp dport ${SERVER_PORT} drop`,
    ...POD_DROP,
    what: `TCP ${SERVER_PORT} to its pods`,
  },
  {
    variant: 'nft-table-prerouting-from-peer-pods',
    hook: 'prerouting',
    priority: -200,
    rule: (s) => `ip saddr ${s.peerPods} ip daddr ${s.nodePods} drop`,
    ...POD_DROP,
    what: "traffic from the peer's pods",
  },
  {
    variant: 'nft-table-input-vxlan',
    hook: 'input',
    priority: -5,
    rule: () => `udp dport ${NET.vxlanPort} drop`,
    ...VXLAN_DROP,
    what: 'incoming VXLAN',
  },
];

function nftShape(r: NftRule): Shape {
  return {
    id: `firewall/${r.variant}`,
    layer: r.layer,
    category: r.category,
    scope: 'node',
    subjects: theNode,
    summary: (node) => `an nft table of its own drops ${r.what} on ${node.name} (${r.hook} hook)`,
    inject: async (ctx) => {
      const rule = r.rule(sides(ctx));
      ctx.onNode(
        ctx.node,
        `nft add table ip ${NFT_TABLE} && ` +
          `nft add chain ip ${NFT_TABLE} c '{ type filter hook ${r.hook} priority ${r.priority}; policy accept; }' && ` +
          `nft add rule ip ${NFT_TABLE} c ${rule}`,
      );
      return { rule };
    },
    heal: async (ctx) => {
      ctx.tryOnNode(ctx.node, `nft delete table ip ${NFT_TABLE}`);
    },
    residue: (ctx) =>
      ctx.tryOnNode(ctx.node, `nft list table ip ${NFT_TABLE}`).code === 0
        ? [`${ctx.node.name}: nft table ip ${NFT_TABLE} is still there`]
        : [],
  };
}

export const FIREWALL_SHAPES: Shape[] = [...IPTABLES_RULES.map(iptablesShape), ...NFT_RULES.map(nftShape)];
