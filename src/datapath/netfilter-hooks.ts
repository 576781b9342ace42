/**
 * The netfilter hooks a packet crosses besides the active backend's filter table: raw, mangle
 * and nat on the same path, in both iptables backends. A node with rules in both backends runs
 * both sets (each registers its own hooks), so a DROP hand-added to the backend kube-proxy does
 * not use still drops the packet.
 */
import type { IptablesDump, IptablesRule, NodeDatapath } from '../core/datapath-types.ts';
import type { ActiveIptables } from './active-iptables.ts';
import { chainPolicy } from './iptables-chains.ts';
import { evaluateChain, type PacketView } from './iptables-eval.ts';

/** The path through the node: forwarded (pod to pod), sent by the node itself, or to the node. */
export type NodePath = 'FORWARD' | 'OUTPUT' | 'INPUT';

/** One (table, built-in chain) a packet crosses, in the order netfilter runs them. */
export interface HookStep {
  table: 'raw' | 'mangle' | 'nat' | 'filter';
  chain: string;
  /** nat sees only the first packet of a connection, never a reply. */
  newOnly?: boolean;
}

/** The hooks of each path, in netfilter's order (priority raw < mangle < nat < filter). */
export const HOOK_PATHS: Readonly<Record<NodePath, readonly HookStep[]>> = {
  FORWARD: [
    { table: 'raw', chain: 'PREROUTING' },
    { table: 'mangle', chain: 'PREROUTING' },
    { table: 'nat', chain: 'PREROUTING', newOnly: true },
    { table: 'mangle', chain: 'FORWARD' },
    { table: 'filter', chain: 'FORWARD' },
    { table: 'mangle', chain: 'POSTROUTING' },
    { table: 'nat', chain: 'POSTROUTING', newOnly: true },
  ],
  INPUT: [
    { table: 'raw', chain: 'PREROUTING' },
    { table: 'mangle', chain: 'PREROUTING' },
    { table: 'nat', chain: 'PREROUTING', newOnly: true },
    { table: 'mangle', chain: 'INPUT' },
    { table: 'filter', chain: 'INPUT' },
    { table: 'nat', chain: 'INPUT', newOnly: true },
  ],
  OUTPUT: [
    { table: 'raw', chain: 'OUTPUT' },
    { table: 'mangle', chain: 'OUTPUT' },
    { table: 'nat', chain: 'OUTPUT', newOnly: true },
    { table: 'filter', chain: 'OUTPUT' },
    { table: 'mangle', chain: 'POSTROUTING' },
    { table: 'nat', chain: 'POSTROUTING', newOnly: true },
  ],
};

/** A hook that drops or rejects the packet, with the backend it sits in. */
export interface HookDrop {
  key: ActiveIptables['key'];
  table: HookStep['table'];
  chain: string;
  verdict: 'drop' | 'reject';
  /** The deciding rule; absent when the chain's policy dropped. */
  rule?: IptablesRule;
  /** The chain's policy, for a policy drop. */
  policy?: string;
}

function dumps(dp: NodeDatapath): { key: ActiveIptables['key']; dump: IptablesDump }[] {
  const out: { key: ActiveIptables['key']; dump: IptablesDump }[] = [];
  if (dp.iptablesNft) out.push({ key: 'iptablesNft', dump: dp.iptablesNft });
  if (dp.iptablesLegacy) out.push({ key: 'iptablesLegacy', dump: dp.iptablesLegacy });
  return out;
}

/**
 * The first hook on `path` that drops `pkt`, in either backend, leaving out `skip` (the active
 * backend's filter chain, which the tracer judges itself with its full evidence). A reply
 * (`reply`) skips nat, which only sees a connection's first packet.
 */
export function firstHookDrop(
  dp: NodeDatapath,
  path: NodePath,
  pkt: PacketView,
  opts: { reply?: boolean; skip?: { key: ActiveIptables['key']; table: string } } = {},
): HookDrop | undefined {
  for (const step of HOOK_PATHS[path]) {
    if (step.newOnly && opts.reply) continue;
    for (const { key, dump } of dumps(dp)) {
      if (opts.skip && opts.skip.key === key && opts.skip.table === step.table) continue;
      const table = dump.tables[step.table];
      if (!table || chainPolicy(table, step.chain) === undefined) continue;
      const v = evaluateChain(table, step.chain, pkt);
      if (v.verdict === 'accept') continue;
      const drop: HookDrop = { key, table: step.table, chain: step.chain, verdict: v.verdict };
      if (v.rule) drop.rule = v.rule;
      else drop.policy = chainPolicy(table, step.chain) ?? 'DROP';
      return drop;
    }
  }
  return undefined;
}
