/**
 * nftables tables outside iptables-nft's own (a host firewall written with nft: firewalld,
 * nftables.conf): whether one of their base chains on the packet's path drops it. In nftables an
 * accept ends only its own base chain; every base chain on the hook still sees the packet, so
 * any one dropping it drops it. Rules are matched from the text the parser keeps; a rule with an
 * expression netdoctor does not model is skipped as uncertain, never guessed.
 */
import type { NftRuleset } from '../core/datapath-types.ts';
import { cidrContains } from '../core/net/cidr.ts';
import type { PacketView } from './iptables-eval.ts';
import type { NodePath } from './netfilter-hooks.ts';

/** The tables iptables-nft writes; the iptables evaluator judges those. */
const XT_TABLES = new Set(['filter', 'nat', 'mangle', 'raw', 'security']);
/** Tables a controller owns (kube-proxy's nftables mode, CNIs): their drops are their decisions. */
const CONTROLLER_TABLE = /^(kube-proxy|kube-router|cilium|calico|flannel)/i;

const HOOKS: Readonly<Record<NodePath, readonly string[]>> = {
  FORWARD: ['prerouting', 'forward', 'postrouting'],
  OUTPUT: ['output', 'postrouting'],
  INPUT: ['prerouting', 'input'],
};

/** A native nft rule (or chain policy) that drops the packet. */
export interface NftDrop {
  family: string;
  table: string;
  chain: string;
  verdict: 'drop' | 'reject';
  /** The rule as `nft list ruleset` shows it; absent when the base chain's policy dropped. */
  rule?: string;
}

type Verdict = 'accept' | 'drop' | 'reject' | 'return' | undefined;

const MAX_DEPTH = 16;

/** The first native nft base chain on `path` that drops `pkt`. */
export function nftNativeDrop(
  rs: NftRuleset | undefined,
  path: NodePath,
  pkt: PacketView,
  opts: { iptablesNft: boolean; reply?: boolean },
): NftDrop | undefined {
  if (!rs) return undefined;
  for (const c of rs.chains) {
    if (!c.hook || !HOOKS[path].includes(c.hook)) continue;
    if (c.family !== 'ip' && c.family !== 'inet') continue;
    if (opts.iptablesNft && c.family === 'ip' && XT_TABLES.has(c.table)) continue;
    if (CONTROLLER_TABLE.test(c.table)) continue;
    // nat chains see only a connection's first packet.
    if (c.type === 'nat' && opts.reply) continue;
    const r = walk(rs, c.family, c.table, c.name, pkt, 0);
    if (r.verdict === 'drop' || r.verdict === 'reject')
      return {
        family: c.family,
        table: c.table,
        chain: c.name,
        verdict: r.verdict,
        ...(r.rule ? { rule: r.rule } : {}),
      };
    if (r.verdict === undefined && c.policy === 'drop')
      return { family: c.family, table: c.table, chain: c.name, verdict: 'drop' };
  }
  return undefined;
}

function walk(
  rs: NftRuleset,
  family: string,
  table: string,
  chain: string,
  pkt: PacketView,
  depth: number,
): { verdict: Verdict; rule?: string } {
  if (depth > MAX_DEPTH) return { verdict: undefined };
  for (const r of rs.rules) {
    if (r.family !== family || r.table !== table || r.chain !== chain) continue;
    const m = matchText(r.text, pkt);
    if (m.match !== true) continue;
    const v = m.action;
    if (v === 'accept' || v === 'drop' || v === 'reject') return { verdict: v, rule: r.text };
    if (v === 'return') return { verdict: undefined };
    if (v?.startsWith('jump ') || v?.startsWith('goto ')) {
      const sub = walk(rs, family, table, v.slice(5), pkt, depth + 1);
      if (sub.verdict !== undefined || v.startsWith('goto ')) return sub;
    }
  }
  return { verdict: undefined };
}

/** Splits rule text into words, keeping `{ a, b }` sets and quoted names whole. */
function words(text: string): string[] {
  return text.match(/\{[^}]*\}|"[^"]*"|\S+/g) ?? [];
}

function values(v: string): string[] {
  return v
    .replace(/^\{|\}$/g, '')
    .split(',')
    .map((x) => x.trim().replace(/^"|"$/g, ''))
    .filter(Boolean);
}

function addrIn(vals: string[], ip: string): boolean {
  return vals.some((v) => (v.includes('/') ? cidrContains(v, ip) : v === ip));
}

function portIn(vals: string[], port: number): boolean {
  return vals.some((v) => {
    const [a, b] = v.split('-');
    const lo = Number(a);
    const hi = b === undefined ? lo : Number(b);
    return port >= lo && port <= hi;
  });
}

function nameIn(vals: string[], name: string): boolean {
  return vals.some((v) => (v.endsWith('*') ? name.startsWith(v.slice(0, -1)) : v === name));
}

/**
 * Whether the rule's matches take the packet (undefined: something not modelled) and the
 * action it ends with (`accept`, `drop`, `reject`, `return`, `jump X`, `goto X`, or none).
 */
export function matchText(text: string, pkt: PacketView): { match: boolean | undefined; action?: string } {
  const w = words(text);
  let unknown = false;
  let action: string | undefined;
  for (let i = 0; i < w.length; i++) {
    const a = w[i]!;
    const b = w[i + 1];
    let neg = false;
    const take = (n: number): string | undefined => {
      let v = w[i + n];
      if (v === '!=') {
        neg = true;
        v = w[i + n + 1];
        i++;
      }
      i += n;
      return v;
    };
    let res: boolean | undefined;
    if (a === 'ip' && (b === 'saddr' || b === 'daddr')) {
      const v = take(2);
      res = v === undefined ? undefined : addrIn(values(v), b === 'saddr' ? pkt.src : pkt.dst);
    } else if ((a === 'ip' && b === 'protocol') || (a === 'meta' && b === 'l4proto')) {
      const v = take(2);
      res = v === undefined ? undefined : values(v).includes(pkt.proto);
    } else if (a === 'l4proto') {
      const v = take(1);
      res = v === undefined ? undefined : values(v).includes(pkt.proto);
    } else if ((a === 'tcp' || a === 'udp' || a === 'th') && b === 'dport') {
      // A port match implies its protocol, negated or not.
      if (a === 'th' ? pkt.proto === 'icmp' : pkt.proto !== a) return { match: false };
      const v = take(2);
      res = v === undefined || pkt.dport === undefined ? undefined : portIn(values(v), pkt.dport);
    } else if (a === 'iifname' || a === 'oifname') {
      const v = take(1);
      const iface = a === 'iifname' ? pkt.inIface : pkt.outIface;
      res = v === undefined || iface === undefined ? undefined : nameIn(values(v), iface);
    } else if (a === 'ct' && b === 'state') {
      const v = take(2);
      res = v === undefined ? undefined : values(v).some((s) => pkt.ctstates.has(s.toUpperCase()));
    } else if (a === 'counter') {
      continue;
    } else if (a === 'log') {
      // `log`, or `log prefix "..."`: never decides.
      if (b === 'prefix') i += 2;
      continue;
    } else if (a === 'accept' || a === 'drop' || a === 'return') {
      action = a;
      break;
    } else if (a === 'reject') {
      action = 'reject';
      break;
    } else if ((a === 'jump' || a === 'goto') && b !== undefined) {
      action = `${a} ${b}`;
      break;
    } else {
      unknown = true;
      continue;
    }
    // A named set (`@blocklist`) or map holds what the snapshot does not show.
    if (w[i]?.startsWith('@')) res = undefined;
    if (res === undefined) unknown = true;
    else if (res === neg) return { match: false };
  }
  return { match: unknown ? undefined : true, ...(action ? { action } : {}) };
}
