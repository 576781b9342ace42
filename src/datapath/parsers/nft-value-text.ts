/**
 * Operands of `nft -j` expressions in nft's own notation (`ip daddr`, `10.0.0.0/8`,
 * `ip daddr . meta l4proto . th dport`), shared by the rule text and the set/map parsers.
 */
import { isObject } from './json-input.ts';

const BARE_META = new Set(['iif', 'oif', 'iifname', 'oifname']);

export function flagsText(f: unknown): string {
  return Array.isArray(f) ? f.map(String).join(',') : String(f);
}

/** Operands: payload/meta/ct selectors, prefixes, ranges, sets, literals. */
export function valueText(v: unknown): string {
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return v.map(valueText).join(',');
  if (!isObject(v)) return String(v);
  const key = Object.keys(v)[0];
  if (key === undefined) return '';
  const x = v[key];
  switch (key) {
    case 'payload':
      if (isObject(x) && x['protocol'] !== undefined) return `${String(x['protocol'])} ${String(x['field'])}`;
      return isObject(x) ? `@${String(x['base'])},${String(x['offset'])},${String(x['len'])}` : 'payload';
    case 'meta':
      // nft prints interface selectors bare (`iifname "eth0"`), other meta keys prefixed.
      return isObject(x) ? `${BARE_META.has(String(x['key'])) ? '' : 'meta '}${String(x['key'])}` : 'meta';
    case 'ct':
      return isObject(x) ? `ct ${String(x['key'])}` : 'ct';
    case 'prefix':
      return isObject(x) ? `${valueText(x['addr'])}/${String(x['len'])}` : 'prefix';
    case 'range':
      return Array.isArray(x) ? x.map(valueText).join('-') : 'range';
    case 'set':
      return Array.isArray(x) ? `{ ${x.map(valueText).join(', ')} }` : valueText(x);
    case 'concat':
      return Array.isArray(x) ? x.map(valueText).join(' . ') : 'concat';
    case 'numgen':
      return isObject(x) ? `numgen ${String(x['mode'])} mod ${String(x['mod'])}` : 'numgen';
    case 'fib':
      return isObject(x) ? `fib ${flagsText(x['flags'])} ${String(x['result'])}` : 'fib';
    case 'elem':
      return isObject(x) ? valueText(x['val']) : 'elem';
    case '&':
    case '|':
    case '^':
      return Array.isArray(x) ? x.map(valueText).join(` ${key} `) : key;
    default:
      return key;
  }
}
