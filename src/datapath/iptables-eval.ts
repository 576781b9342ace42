/**
 * Walks an iptables table for one packet, the way netfilter would: rules in order, jumps into
 * user chains, RETURN, and the built-in chain's policy at the end. Matches netdoctor cannot
 * judge from a snapshot (source ports, statistic, sets, ...) make a rule "uncertain": it is
 * skipped and reported, so a verdict never rests on a guess.
 */
import type { IptablesRule, IptablesTable } from '../core/datapath-types.ts';
import { cidrContains } from '../core/net/cidr.ts';
import { chainPolicy, chainRules } from './iptables-chains.ts';
import { tokenizeIptablesSpec } from './parsers/iptables-save.ts';

export interface PacketView {
  src: string;
  dst: string;
  proto: 'tcp' | 'udp' | 'icmp';
  dport?: number;
  inIface?: string;
  outIface?: string;
  /** Conntrack states of the packet: `NEW`, plus `DNAT` once a Service address was translated. */
  ctstates: ReadonlySet<string>;
  mark: number;
  /** Addresses local to the node (for `-m addrtype --dst-type LOCAL`). */
  localAddrs: ReadonlySet<string>;
}

export interface ChainVerdict {
  verdict: 'accept' | 'drop' | 'reject';
  /** The rule that decided; absent when the chain's policy did. */
  rule?: IptablesRule;
  /** Chains entered, in order (`FORWARD`, `KUBE-FORWARD`, ...). */
  path: string[];
  /** Rules skipped because a match could not be judged from the snapshot. */
  uncertain: IptablesRule[];
}

const tokenCache = new WeakMap<IptablesRule, string[]>();

function rulesOf(table: IptablesTable, chain: string): readonly IptablesRule[] {
  return chainRules(table).get(chain) ?? [];
}

function tokensOf(rule: IptablesRule): string[] {
  let t = tokenCache.get(rule);
  if (!t) {
    t = tokenizeIptablesSpec(rule.spec);
    tokenCache.set(rule, t);
  }
  return t;
}

const MAX_DEPTH = 32;

/** Evaluates built-in chain `chain` of `table` for `pkt`. */
export function evaluateChain(table: IptablesTable, chain: string, pkt: PacketView): ChainVerdict {
  const state = { mark: pkt.mark, path: [] as string[], uncertain: [] as IptablesRule[] };
  const r = walk(table, chain, { ...pkt }, state, 0);
  if (r.verdict !== 'return')
    return {
      verdict: r.verdict,
      ...(r.rule ? { rule: r.rule } : {}),
      path: state.path,
      uncertain: state.uncertain,
    };
  const policy = (chainPolicy(table, chain) ?? 'ACCEPT').toUpperCase();
  return { verdict: policy === 'DROP' ? 'drop' : 'accept', path: state.path, uncertain: state.uncertain };
}

type WalkResult = { verdict: 'accept' | 'drop' | 'reject'; rule?: IptablesRule } | { verdict: 'return' };

function walk(
  table: IptablesTable,
  chain: string,
  pkt: PacketView,
  state: { mark: number; path: string[]; uncertain: IptablesRule[] },
  depth: number,
): WalkResult {
  if (depth > MAX_DEPTH) return { verdict: 'return' };
  state.path.push(chain);
  for (const rule of rulesOf(table, chain)) {
    const m = matchRule(rule, { ...pkt, mark: state.mark });
    if (m === false) continue;
    const target = rule.target;
    if (m === undefined) {
      if (target && target !== 'RETURN' && !isNonTerminating(target)) state.uncertain.push(rule);
      continue;
    }
    if (!target) continue;
    switch (target) {
      case 'ACCEPT':
      case 'DNAT':
      case 'SNAT':
      case 'MASQUERADE':
      case 'REDIRECT':
        return { verdict: 'accept', rule };
      case 'DROP':
        return { verdict: 'drop', rule };
      case 'REJECT':
        return { verdict: 'reject', rule };
      case 'RETURN':
        return { verdict: 'return' };
      case 'MARK': {
        const xmark = optionAfter(tokensOf(rule), '--set-xmark') ?? optionAfter(tokensOf(rule), '--set-mark');
        if (xmark) {
          const [v, m2] = xmark.split('/');
          const value = Number(v);
          const mask = m2 === undefined ? 0xffffffff : Number(m2);
          if (Number.isFinite(value) && Number.isFinite(mask))
            state.mark = ((state.mark & ~mask) ^ value) >>> 0;
        }
        continue;
      }
      default: {
        if (chainPolicy(table, target) !== undefined && !BUILTIN.has(target)) {
          const isGoto = tokensOf(rule).includes('-g') || tokensOf(rule).includes('--goto');
          const r = walk(table, target, pkt, state, depth + 1);
          if (r.verdict !== 'return' || isGoto) return r;
        }
        // LOG, CT, NOTRACK and other non-terminating targets fall through.
      }
    }
  }
  return { verdict: 'return' };
}

const BUILTIN = new Set(['INPUT', 'OUTPUT', 'FORWARD', 'PREROUTING', 'POSTROUTING']);

function isNonTerminating(target: string): boolean {
  return (
    target === 'LOG' || target === 'MARK' || target === 'CONNMARK' || target === 'CT' || target === 'NOTRACK'
  );
}

function optionAfter(tokens: string[], name: string): string | undefined {
  const i = tokens.indexOf(name);
  return i === -1 ? undefined : tokens[i + 1];
}

/** Modules whose presence alone never decides a match. */
const NEUTRAL_MODULES = new Set([
  'comment',
  'tcp',
  'udp',
  'icmp',
  'conntrack',
  'state',
  'mark',
  'addrtype',
  'multiport',
]);

/**
 * true: the rule matches; false: it does not; undefined: it depends on something the snapshot
 * does not show.
 */
export function matchRule(rule: IptablesRule, pkt: PacketView): boolean | undefined {
  const t = tokensOf(rule);
  let unknown = false;
  let negate = false;
  for (let i = 0; i < t.length; i++) {
    const tok = t[i]!;
    if (tok === '!') {
      negate = true;
      continue;
    }
    if (tok === '-j' || tok === '-g' || tok === '--jump' || tok === '--goto') break;
    let res: boolean | undefined;
    const val = t[i + 1];
    switch (tok) {
      case '-s':
      case '-d': {
        i++;
        const ip = tok === '-s' ? pkt.src : pkt.dst;
        res = val !== undefined && (val.includes('/') ? cidrContains(val, ip) : val === ip);
        break;
      }
      case '-p':
        i++;
        res = val === 'all' || val === '0' || protoName(val) === pkt.proto;
        break;
      case '-i':
      case '-o': {
        i++;
        const iface = tok === '-i' ? pkt.inIface : pkt.outIface;
        res = iface === undefined || val === undefined ? undefined : ifaceMatches(val, iface);
        break;
      }
      case '--dport':
      case '--dports':
      case '--destination-port':
      case '--destination-ports':
        i++;
        res = pkt.dport === undefined || val === undefined ? undefined : portMatches(val, pkt.dport);
        break;
      case '--ctstate':
      case '--state':
        i++;
        res = val?.split(',').some((s) => pkt.ctstates.has(s));
        break;
      case '--mark': {
        i++;
        const [v, m] = (val ?? '').split('/');
        const value = Number(v);
        const mask = m === undefined ? 0xffffffff : Number(m);
        res = Number.isFinite(value) && Number.isFinite(mask) ? (pkt.mark & mask) >>> 0 === value : undefined;
        break;
      }
      case '--dst-type':
      case '--src-type': {
        i++;
        const ip = tok === '--dst-type' ? pkt.dst : pkt.src;
        res = val === 'LOCAL' ? pkt.localAddrs.has(ip) : undefined;
        break;
      }
      case '-m':
      case '--match':
        i++;
        if (val !== undefined && !NEUTRAL_MODULES.has(val)) unknown = true;
        continue;
      case '--comment':
        i++;
        continue;
      default:
        if (tok.startsWith('-')) {
          // An option netdoctor does not model (--sport, --icmp-type, --match-set, ...).
          unknown = true;
          while (i + 1 < t.length && !t[i + 1]!.startsWith('-') && t[i + 1] !== '!') i++;
        }
        negate = false;
        continue;
    }
    if (res === undefined) {
      unknown = true;
    } else if (res === negate) {
      return false;
    }
    negate = false;
  }
  return unknown ? undefined : true;
}

function protoName(p: string | undefined): string | undefined {
  if (p === '6') return 'tcp';
  if (p === '17') return 'udp';
  if (p === '1') return 'icmp';
  return p?.toLowerCase();
}

function ifaceMatches(pattern: string, iface: string): boolean {
  return pattern.endsWith('+') ? iface.startsWith(pattern.slice(0, -1)) : pattern === iface;
}

function portMatches(spec: string, port: number): boolean {
  for (const part of spec.split(',')) {
    const [a, b] = part.split(':');
    const lo = Number(a);
    const hi = b === undefined ? lo : Number(b);
    if (port >= lo && port <= hi) return true;
  }
  return false;
}
