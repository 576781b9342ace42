import type { IpRule } from '../../core/datapath-types.ts';
import { optNumber, optString, parseJsonObjects } from './json-input.ts';

const WHAT = 'ip -j rule show';

/** `0x4000` or `16384` as a number; undefined when absent or unreadable. */
function mark(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

/** `10.244.1.0` with `srclen` 24 as `10.244.1.0/24`; `all` stays `all`. */
function prefix(addr: string | undefined, len: number | undefined): string | undefined {
  if (addr === undefined || addr === 'all') return addr;
  if (addr.includes('/')) return addr;
  return `${addr}/${len ?? (addr.includes(':') ? 128 : 32)}`;
}

/** Parses `ip -j rule show` (policy-routing rules, in priority order). */
export function parseIpRule(text: string): IpRule[] {
  return parseJsonObjects(text, WHAT).map((e, i) => {
    const priority = optNumber(e, 'priority');
    if (priority === undefined) throw new Error(`${WHAT}: rule ${i} has no priority`);
    const rule: IpRule = {
      priority,
      src: prefix(optString(e, 'src'), optNumber(e, 'srclen')) ?? 'all',
      action: optString(e, 'action') ?? (e['table'] !== undefined ? 'lookup' : 'unknown'),
    };
    const dst = prefix(optString(e, 'dst'), optNumber(e, 'dstlen'));
    if (dst !== undefined && dst !== 'all') rule.dst = dst;
    for (const k of ['iif', 'oif', 'ipproto'] as const) {
      const v = optString(e, k);
      if (v !== undefined) rule[k] = v;
    }
    const table = e['table'];
    if (typeof table === 'string' || typeof table === 'number') rule.table = String(table);
    const fwmark = mark(e['fwmark']);
    if (fwmark !== undefined) rule.fwmark = fwmark;
    const fwmask = mark(e['fwmask']);
    if (fwmask !== undefined) rule.fwmask = fwmask;
    const dport = optNumber(e, 'dport');
    if (dport !== undefined) rule.dport = dport;
    // `"not": null` is how ip -j says the selector is negated.
    if ('not' in e) rule.not = true;
    return rule;
  });
}
