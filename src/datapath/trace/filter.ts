/**
 * The filter hop: netfilter on a node for the traced packet. Every hook on the packet's path is
 * judged (raw, mangle, nat, filter), in both iptables backends and in native nft tables, and the
 * first that drops it is named.
 */
import { nodeFile } from '../../collect/bundle/layout.ts';
import type { NodeDatapath } from '../../core/datapath-types.ts';
import type { Evidence } from '../../core/model.ts';
import { activeIptables } from '../active-iptables.ts';
import { chainPolicy } from '../iptables-chains.ts';
import { evaluateChain } from '../iptables-eval.ts';
import { firstHookDrop } from '../netfilter-hooks.ts';
import { nftNativeDrop } from '../nft-eval.ts';
import { hookDrop } from './hook-drop.ts';
import type { Walk } from './walk.ts';

/** iptables filter on `node` for the current packet; false to stop. */
export function filterHop(
  w: Walk,
  node: string,
  dp: NodeDatapath,
  chain: 'FORWARD' | 'OUTPUT',
  srcIp: string,
  inIface: string | undefined,
  outIface: string | undefined,
): boolean {
  const active = activeIptables(dp);
  const filter = active?.dump.tables['filter'];
  const base = { kind: 'filter' as const, node, table: 'filter', chain };
  if (!active || !filter) {
    return w.add({
      ...base,
      verdict: 'unknown',
      status: 'unknown',
      summary: `no iptables filter table was collected from ${node}`,
      reason: `no iptables filter table was collected from ${node}`,
      evidence: [],
    });
  }
  const source = nodeFile(node, active.key);
  const reply = w.query.reply === true;
  const pkt = w.packet(dp, srcIp, w.dst, w.protocol, w.port, inIface, outIface, w.dnat, reply);
  // raw, mangle and nat on the same path, and every hook of the other backend, drop too.
  const other = firstHookDrop(dp, chain, pkt, { reply, skip: { key: active.key, table: 'filter' } });
  if (other) {
    const what = other.rule
      ? `-A ${other.rule.chain} ${other.rule.spec}`
      : `policy ${other.policy ?? 'DROP'}`;
    const backendName = other.key === 'iptablesNft' ? 'iptables-nft' : 'iptables-legacy';
    const backend = other.key === active.key ? '' : ` (${backendName})`;
    return w.add({
      ...base,
      table: other.table,
      chain: other.chain,
      verdict: other.verdict,
      backend: backendName,
      ...(other.key === active.key ? {} : { inactiveBackend: true }),
      ...(other.rule ? { rule: what } : {}),
      status: 'broken',
      summary: `${node} ${other.table} ${other.chain}${backend} ${other.verdict}s the packet`,
      reason: `${node} ${other.table} ${other.chain}${backend} ${other.verdict}s ${w.describePacket(srcIp)}: ${what}`,
      evidence: [{ source: nodeFile(node, other.key), observed: `*${other.table} ${what}` }],
    });
  }
  // A host firewall written with nft, outside iptables' tables.
  const native = nftNativeDrop(dp.nftRuleset, chain, pkt, {
    iptablesNft: dp.iptablesNft !== undefined,
    reply,
  });
  if (native) {
    const where = `${native.family} ${native.table} ${native.chain}`;
    const what = native.rule ?? `policy ${native.verdict}`;
    return w.add({
      ...base,
      table: `nft ${native.family} ${native.table}`,
      chain: native.chain,
      verdict: native.verdict,
      backend: 'nftables',
      ...(native.rule ? { rule: native.rule } : {}),
      status: 'broken',
      summary: `${node} nft ${where} ${native.verdict}s the packet`,
      reason: `${node} nft ${where} ${native.verdict}s ${w.describePacket(srcIp)}: ${what}`,
      evidence: [{ source: nodeFile(node, 'nftRuleset'), observed: `table ${where}: ${what}` }],
    });
  }
  const v = evaluateChain(filter, chain, pkt);
  const what = v.rule
    ? `-A ${v.rule.chain} ${v.rule.spec}`
    : `policy ${chainPolicy(filter, chain) ?? 'ACCEPT'}`;
  const ev: Evidence[] = [{ source, observed: what }];
  for (const u of v.uncertain.slice(0, 3))
    ev.push({ source, observed: `not judged: -A ${u.chain} ${u.spec}` });
  if (v.verdict !== 'accept') {
    return w.add({
      ...base,
      verdict: v.verdict,
      backend: active.key === 'iptablesNft' ? 'iptables-nft' : 'iptables-legacy',
      ...(v.rule ? { rule: what } : {}),
      status: 'broken',
      summary: `${node} filter ${chain} ${v.verdict}s the packet`,
      reason: `${node} filter ${chain} ${v.verdict}s ${w.describePacket(srcIp)}: ${what}`,
      evidence: ev,
    });
  }
  return w.add({
    ...base,
    verdict: 'accept',
    ...(v.rule ? { rule: what } : {}),
    status: 'ok',
    summary: `${node} filter ${chain} accepts (${v.path.join(' -> ')}: ${what})${v.uncertain.length ? `; ${v.uncertain.length} rule(s) could not be judged` : ''}`,
    evidence: ev,
  });
}

/**
 * A packet for the node itself (a host-network destination) crosses the INPUT hooks of every
 * backend, filter included; false to stop.
 */
export function inputHop(
  w: Walk,
  node: string,
  dp: NodeDatapath,
  srcIp: string,
  inIface: string | undefined,
): boolean {
  const reply = w.query.reply === true;
  const pkt = w.packet(dp, srcIp, w.dst, w.protocol, w.port, inIface, undefined, w.dnat, reply);
  const b = hookDrop(w, node, dp, 'INPUT', pkt, undefined);
  if (!b) return true;
  return w.add({
    kind: 'filter',
    node,
    table: b.table,
    chain: b.chain,
    verdict: b.verdict,
    backend: b.backend,
    ...(b.inactive ? { inactiveBackend: true as const } : {}),
    ...(b.rule ? { rule: b.rule } : {}),
    status: 'broken',
    summary: `${node} ${b.where} ${b.verdict}s the packet`,
    reason: `${node} ${b.where} ${b.verdict}s ${w.describePacket(srcIp)}: ${b.what}`,
    evidence: [b.evidence],
  });
}
