import type { IptablesRule, IptablesTable, NodeDatapath } from '../../core/datapath-types.ts';
import type { Evidence, Finding } from '../../core/model.ts';
import { cidrContains } from '../../core/net/cidr.ts';
import type { NodeResult, Rule, RuleContext } from '../rule.ts';
import {
  chainRules,
  iptablesDumps,
  listSome,
  makeFinding,
  needsNodes,
  nodeOrder,
  nodeSource,
  nodeSubject,
  overlayPorts,
  parseSpec,
  perAnalysis,
  portsCover,
  reachableChains,
} from './support/datapath.ts';
import { describeProbe, failedProbe, probeSource, probeView } from './support/probes.ts';

/** Built-in chains that overlay packets traverse, per table. */
const ROOTS: Record<string, string[]> = {
  filter: ['INPUT', 'OUTPUT', 'FORWARD'],
  raw: ['PREROUTING', 'OUTPUT'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
};
const BLOCK = new Set(['DROP', 'REJECT']);
const XT_TABLES = new Set(['filter', 'nat', 'mangle', 'raw', 'security']);
const NFT_HOOKS = new Set(['input', 'output', 'forward', 'prerouting']);

interface Block {
  where: string;
  rule: string;
  source: string;
  port: number;
}

function matchesNodes(cidr: string | undefined, neg: boolean, ips: string[]): boolean {
  if (!cidr) return true;
  return ips.some((ip) => cidrContains(cidr, ip) !== neg);
}

function udpCovered(r: IptablesRule, ports: number[]): number | undefined {
  const f = parseSpec(r.spec);
  if (f.proto !== 'udp' || f.protoNeg || !f.dports || f.dportNeg) return undefined;
  return ports.find((p) => portsCover(f.dports!, p));
}

/**
 * The rules of one iptables table that DROP or REJECT one of the overlay `ports` in a chain the
 * overlay's packets traverse, unless an earlier unconditional ACCEPT of that port wins, and only
 * when their source and destination can be a node address. The allow-overlay-port repair
 * deletes exactly these.
 */
export function tableBlocks(
  t: IptablesTable,
  ports: number[],
  nodeIps: string[],
): { chain: string; spec: string; port: number }[] {
  const roots = ROOTS[t.name];
  if (!roots) return [];
  const byChain = chainRules(t);
  const out: { chain: string; spec: string; port: number }[] = [];
  for (const chain of reachableChains(t, roots)) {
    const accepted = new Set<number>();
    for (const r of byChain.get(chain) ?? []) {
      const target = r.target ?? parseSpec(r.spec).target;
      if (target !== 'ACCEPT' && (!target || !BLOCK.has(target))) continue;
      const port = udpCovered(r, ports);
      if (port === undefined) continue;
      const f = parseSpec(r.spec);
      if (target === 'ACCEPT') {
        if (!f.source && !f.destination) accepted.add(port);
        continue;
      }
      if (accepted.has(port)) continue;
      if (
        !matchesNodes(f.source, f.sourceNeg, nodeIps) ||
        !matchesNodes(f.destination, f.destinationNeg, nodeIps)
      )
        continue;
      out.push({ chain, spec: r.spec, port });
    }
  }
  return out;
}

/** `ip saddr 203.0.113.0/24` / `ip daddr != { a, b }` in an nft rule: whether it can match a node address. */
function nftAddrMatches(text: string, dir: 'saddr' | 'daddr', ips: string[]): boolean {
  const m = new RegExp(`ip ${dir} (!= )?(\\{[^}]*\\}|\\S+)`).exec(text);
  if (!m?.[2]) return true;
  const neg = m[1] !== undefined;
  const cidrs = m[2]
    .replace(/[{}\s]/g, '')
    .split(',')
    .filter(Boolean);
  return ips.some((ip) => cidrs.some((c) => cidrContains(c, ip)) !== neg);
}

/** nft rules (outside the iptables-nft tables) that drop or reject an overlay port. */
export function nftBlocks(
  dp: NodeDatapath,
  ports: number[],
  nodeIps: string[],
): { where: string; text: string; port: number }[] {
  const rs = dp.nftRuleset;
  if (!rs) return [];
  const hooked = new Set<string>();
  for (const c of rs.chains) if (c.hook && NFT_HOOKS.has(c.hook)) hooked.add(`${c.family} ${c.table}`);
  const out: { where: string; text: string; port: number }[] = [];
  for (const r of rs.rules) {
    const tableKey = `${r.family} ${r.table}`;
    if (!hooked.has(tableKey)) continue;
    if (dp.iptablesNft && (r.family === 'ip' || r.family === 'ip6') && XT_TABLES.has(r.table)) continue;
    if (!/\b(drop|reject)\b/.test(r.text)) continue;
    const m = /udp dport (\{[^}]*\}|[\d-]+)/.exec(r.text);
    if (!m?.[1]) continue;
    const values = m[1]
      .replace(/[{}\s]/g, '')
      .split(',')
      .map((v) => v.replace('-', ':'));
    const port = ports.find((p) => portsCover(values, p));
    if (!nftAddrMatches(r.text, 'saddr', nodeIps) || !nftAddrMatches(r.text, 'daddr', nodeIps)) continue;
    if (port !== undefined) out.push({ where: `nft ${tableKey} ${r.chain}`, text: r.text, port });
  }
  return out;
}

interface Pending {
  name: string;
  selfIp: string | undefined;
  evidence: Evidence[];
  confidence: number;
  probesFailed: boolean;
  ports: number[];
  first: Block;
}

/** Blocking nodes seen so far, and who saw no VXLAN packets from whom (for `finish`). */
const state = perAnalysis((ctx) => ({
  nodeIps: [...ctx.index.internalIpByNode.values()],
  pending: [] as Pending[],
  /** Underlay IP -> nodes whose capture saw 0 packets exchanged with it. */
  silentWith: new Map<string, string[]>(),
}));

/** Firewall rules on a node that DROP or REJECT the overlay's UDP port. */
export const overlayPortBlocked: Rule = {
  id: 'overlay-port-blocked',
  layer: 'overlay',
  needs: { cluster: ['nodes'] },
  title: 'Overlay UDP port open between nodes',
  why: 'Every cross-node pod packet travels inside VXLAN over UDP 8472 (or 4789); a firewall rule dropping that port cuts the node off from every other node while same-node traffic still works.',
  appliesTo: needsNodes,
  runNode: (ctx: RuleContext, dp: NodeDatapath): NodeResult => {
    const name = dp.name;
    const st = state(ctx);
    for (const [ip, n] of Object.entries(dp.vxlanCapture?.packetsByPeer ?? {})) {
      if (n !== 0) continue;
      const l = st.silentWith.get(ip);
      if (l) l.push(name);
      else st.silentWith.set(ip, [name]);
    }
    if (!dp.iptablesNft && !dp.iptablesLegacy && !dp.nftRuleset)
      return { skipped: 'neither iptables nor the nft ruleset collected' };
    const ports = overlayPorts(dp);
    if (ports.length === 0) return [];
    const blocks: Block[] = [];
    for (const d of iptablesDumps(dp)) {
      for (const t of Object.values(d.dump.tables)) {
        for (const b of tableBlocks(t, ports, st.nodeIps)) {
          blocks.push({
            where: `${d.label} ${t.name} ${b.chain}`,
            rule: `-A ${b.chain} ${b.spec}`,
            source: nodeSource(name, d.key),
            port: b.port,
          });
        }
      }
    }
    for (const b of nftBlocks(dp, ports, st.nodeIps)) {
      blocks.push({ where: b.where, rule: b.text, source: nodeSource(name, 'nftRuleset'), port: b.port });
    }
    if (blocks.length === 0) return [];
    const evidence: Evidence[] = blocks.slice(0, 6).map((b) => ({
      source: b.source,
      observed: `${b.where}: ${b.rule}`,
      expected: `no rule dropping UDP ${b.port} between nodes`,
    }));
    let confidence = 0.8;
    const failed = (probeView(ctx).crossByNode.get(name) ?? []).filter(failedProbe);
    if (failed.length > 0) {
      confidence = 0.9;
      for (const r of failed.slice(0, 3))
        evidence.push({ source: probeSource(r), observed: describeProbe(r) });
    }
    st.pending.push({
      name,
      selfIp: ctx.index.internalIpByNode.get(name),
      evidence,
      confidence,
      probesFailed: failed.length > 0,
      ports,
      first: blocks[0]!,
    });
    return [];
  },
  /** Findings wait for every node: the peers' captures corroborate a block. */
  finish: (ctx: RuleContext): Finding[] => {
    const st = state(ctx);
    const order = nodeOrder(ctx);
    return st.pending
      .sort((a, b) => order(a.name, b.name))
      .map((p) => {
        const { name, evidence, first, ports } = p;
        let confidence = p.confidence;
        if (p.selfIp) {
          const silent = (st.silentWith.get(p.selfIp) ?? []).filter((peer) => peer !== name).sort(order);
          if (silent.length > 0 && p.probesFailed) {
            confidence = 0.95;
            evidence.push({
              source: nodeSource(silent[0]!, 'vxlanCapture'),
              observed: `no VXLAN packets exchanged with ${name} (${p.selfIp}) seen on ${listSome(silent, 5)} while probes ran`,
            });
          }
        }
        return makeFinding(overlayPortBlocked, nodeSubject(name), {
          severity: 'error',
          summary: `${name} drops overlay traffic on UDP ${first.port} (${first.where}: ${first.rule})`,
          evidence,
          cause: { category: 'overlay.port-blocked', confidence, remediation: ['allow-overlay-port'] },
          nextCommands: [
            `iptables-save | grep -E '${ports.join('|')}'`,
            `tcpdump -ni any udp port ${first.port}`,
          ],
        });
      });
  },
};
