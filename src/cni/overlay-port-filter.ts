/**
 * Which firewall rules on a node drop a VXLAN overlay's UDP port, in iptables (either backend)
 * and in native nftables tables. The overlay-port rule reports them; the allow-overlay-port
 * repair deletes exactly them and verifies with the same reading.
 */
import { chainRules, parseSpec, portsCover, reachableChains } from '../analyze/rules/support/datapath.ts';
import type { IptablesRule, IptablesTable, NodeDatapath } from '../core/datapath-types.ts';
import { cidrContains } from '../core/net/cidr.ts';

/** Built-in chains that overlay packets traverse, per table. */
const ROOTS: Record<string, string[]> = {
  filter: ['INPUT', 'OUTPUT', 'FORWARD'],
  raw: ['PREROUTING', 'OUTPUT'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
};
const BLOCK = new Set(['DROP', 'REJECT']);
const XT_TABLES = new Set(['filter', 'nat', 'mangle', 'raw', 'security']);
const NFT_HOOKS = new Set(['input', 'output', 'forward', 'prerouting']);

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
