/**
 * The parts of `nft -j list ruleset` that the rule text alone loses: named sets and maps with
 * their elements, and the statements of a rule that send a packet on (jump, goto, verdict-map
 * lookups, DNAT). kube-proxy's nftables mode dispatches every Service through verdict maps
 * (`service-ips`: `10.96.0.10 . udp . 53 : goto service-...`), so without these its rules are
 * opaque.
 *
 * libnftables JSON shapes handled (as nft 1.0.x prints them):
 * - set: `{"set": {..., "type": "ipv4_addr" | [..concat..], "elem": [atom | {"elem": {"val", "comment"}}]}}`
 * - map: `{"map": {..., "map": "verdict", "elem": [[key, value], ...]}}`, a key possibly wrapped
 *   as `{"elem": {"val": key, "comment": ...}}` and concatenated as `{"concat": [...]}`
 * - verdict: `{"goto": {"target": "x"}}`, `{"drop": null}`
 * - vmap statement: `{"vmap": {"key": expr, "data": "@name" | {"set": [[key, verdict], ...]}}}`
 */
import type {
  NftMap,
  NftMapElement,
  NftMapValue,
  NftSet,
  NftSetElement,
  NftStatement,
  NftVerdict,
} from '../../core/datapath-types.ts';
import { isObject, optString } from './json-input.ts';
import { valueText } from './nft-value-text.ts';

const WHAT = 'nft -j list ruleset';
const PLAIN_VERDICTS = new Set(['accept', 'drop', 'reject', 'return', 'continue']);

/** A `{"set": ...}` object. */
export function parseNftSet(o: Record<string, unknown>, i: number): NftSet {
  const s: NftSet = { ...header(o, i), elements: [] };
  const elem = o['elem'];
  if (Array.isArray(elem)) for (const e of elem) s.elements.push(setElement(e));
  return s;
}

/** A `{"map": ...}` object. */
export function parseNftMap(o: Record<string, unknown>, i: number): NftMap {
  const valueType = o['map'];
  const m: NftMap = {
    ...header(o, i),
    // A concatenated value type (`ipv4_addr . inet_service`) comes as an array.
    valueType: Array.isArray(valueType) ? valueType.map(String).join(' . ') : String(valueType),
    elements: [],
  };
  const elem = o['elem'];
  if (Array.isArray(elem)) {
    for (const pair of elem) {
      if (!Array.isArray(pair) || pair.length !== 2)
        throw new Error(`${WHAT}: map ${m.name} has a malformed element`);
      m.elements.push(mapElement(pair[0], pair[1]));
    }
  }
  return m;
}

/** The statements of a rule's expression list that move the packet on; undefined when none. */
export function ruleStatements(expr: unknown[]): NftStatement[] | undefined {
  const out: NftStatement[] = [];
  for (const e of expr) {
    const st = statement(e);
    if (st) out.push(st);
  }
  return out.length > 0 ? out : undefined;
}

function statement(e: unknown): NftStatement | undefined {
  if (!isObject(e)) return undefined;
  const jump = e['jump'] ?? e['goto'];
  if (isObject(jump) && typeof jump['target'] === 'string')
    return { kind: e['jump'] !== undefined ? 'jump' : 'goto', target: jump['target'] };
  const vmap = e['vmap'];
  if (isObject(vmap)) {
    const key = valueText(vmap['key']);
    const data = vmap['data'];
    if (typeof data === 'string') return { kind: 'vmap-ref', map: data.replace(/^@/, ''), key };
    const set = isObject(data) ? data['set'] : undefined;
    const pairs = Array.isArray(set) ? set : [];
    const elements: NftMapElement[] = [];
    for (const p of pairs) if (Array.isArray(p) && p.length === 2) elements.push(mapElement(p[0], p[1]));
    return { kind: 'vmap', key, elements };
  }
  const dnat = e['dnat'];
  if (isObject(dnat)) {
    const st: NftStatement = { kind: 'dnat' };
    if (dnat['addr'] !== undefined) st.addr = valueText(dnat['addr']);
    if (typeof dnat['port'] === 'number') st.port = dnat['port'];
    return st;
  }
  return undefined;
}

function header(o: Record<string, unknown>, i: number): Omit<NftSet, 'elements'> {
  const family = o['family'];
  const table = o['table'];
  const name = o['name'];
  if (typeof family !== 'string' || typeof table !== 'string' || typeof name !== 'string')
    throw new Error(`${WHAT}: set or map at entry ${i} lacks family, table or name`);
  const type = o['type'];
  const h: Omit<NftSet, 'elements'> = {
    family,
    table,
    name,
    keyType: Array.isArray(type) ? type.map(String) : [String(type)],
  };
  const flags = o['flags'];
  if (Array.isArray(flags)) h.flags = flags.map(String);
  else if (typeof flags === 'string') h.flags = [flags];
  const comment = optString(o, 'comment');
  if (comment !== undefined) h.comment = comment;
  return h;
}

/** Unwraps `{"elem": {"val": ..., "comment": ...}}` (an element with a comment or timeout). */
function unwrap(e: unknown): { val: unknown; comment?: string } {
  if (isObject(e) && isObject(e['elem'])) {
    const inner = e['elem'];
    const comment = inner['comment'];
    return typeof comment === 'string' ? { val: inner['val'], comment } : { val: inner['val'] };
  }
  return { val: e };
}

function keyParts(v: unknown): string[] {
  if (isObject(v) && Array.isArray(v['concat'])) return v['concat'].map(valueText);
  return [valueText(v)];
}

function setElement(e: unknown): NftSetElement {
  const { val, comment } = unwrap(e);
  const el: NftSetElement = { key: keyParts(val) };
  if (comment !== undefined) el.comment = comment;
  return el;
}

function mapElement(k: unknown, v: unknown): NftMapElement {
  const { val, comment } = unwrap(k);
  const el: NftMapElement = { key: keyParts(val), value: mapValue(v) };
  if (comment !== undefined) el.comment = comment;
  return el;
}

function mapValue(v: unknown): NftMapValue {
  const verdict = parseVerdict(v);
  if (verdict) return { kind: 'verdict', verdict };
  return { kind: 'data', data: keyParts(v) };
}

/** `{"goto": {"target": "x"}}`, `{"drop": null}`; undefined for data. */
export function parseVerdict(v: unknown): NftVerdict | undefined {
  if (!isObject(v)) return undefined;
  const key = Object.keys(v)[0];
  if (key === undefined) return undefined;
  if (key === 'jump' || key === 'goto') {
    const t = v[key];
    return isObject(t) && typeof t['target'] === 'string' ? { kind: key, target: t['target'] } : undefined;
  }
  if (PLAIN_VERDICTS.has(key)) return { kind: key as 'accept' | 'drop' | 'reject' | 'return' | 'continue' };
  return undefined;
}
