import type { NftRuleset } from '../../core/datapath-types.ts';
import { isObject, optNumber, optString, parseJson, typeName } from './json-input.ts';
import { parseNftMap, parseNftSet, ruleStatements } from './nft-objects.ts';
import { flagsText, valueText } from './nft-value-text.ts';

const WHAT = 'nft -j list ruleset';

/**
 * Parses `nft -j list ruleset` into tables, chains (with hook, type and policy for base
 * chains), rules, each rule with a readable text built from its expression list, close to
 * what `nft list ruleset` prints (counter values left out: they change between collections)
 * and the statements that send the packet on, and named sets and maps with their elements.
 */
export function parseNftRuleset(text: string): NftRuleset {
  const data = parseJson(text, WHAT);
  if (!isObject(data) || !Array.isArray(data['nftables'])) {
    throw new Error(`${WHAT}: expected {"nftables": [...]}, got ${typeName(data)}`);
  }
  const out: NftRuleset = { tables: [], chains: [], rules: [], sets: [], maps: [] };
  const sets = out.sets!;
  const maps = out.maps!;
  const items = data['nftables'] as unknown[];
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (!isObject(item)) throw new Error(`${WHAT}: entry ${i} is ${typeName(item)}`);
    const table = item['table'];
    if (isObject(table)) {
      out.tables.push({ family: str(table, 'family', i), name: str(table, 'name', i) });
      continue;
    }
    const chain = item['chain'];
    if (isObject(chain)) {
      const c: NftRuleset['chains'][number] = {
        family: str(chain, 'family', i),
        table: str(chain, 'table', i),
        name: str(chain, 'name', i),
      };
      const hook = optString(chain, 'hook');
      if (hook !== undefined) c.hook = hook;
      const policy = optString(chain, 'policy');
      if (policy !== undefined) c.policy = policy;
      const type = optString(chain, 'type');
      if (type !== undefined) c.type = type;
      out.chains.push(c);
      continue;
    }
    const rule = item['rule'];
    if (isObject(rule)) {
      const expr = rule['expr'];
      if (!Array.isArray(expr)) throw new Error(`${WHAT}: rule at entry ${i} has no expr list`);
      const r: NftRuleset['rules'][number] = {
        family: str(rule, 'family', i),
        table: str(rule, 'table', i),
        chain: str(rule, 'chain', i),
        text: expr
          .map(exprText)
          .filter((s) => s !== '')
          .join(' '),
      };
      const handle = optNumber(rule, 'handle');
      if (handle !== undefined) r.handle = handle;
      const comment = optString(rule, 'comment');
      if (comment !== undefined) r.comment = comment;
      const statements = ruleStatements(expr);
      if (statements) r.statements = statements;
      out.rules.push(r);
      continue;
    }
    const set = item['set'];
    if (isObject(set)) {
      sets.push(parseNftSet(set, i));
      continue;
    }
    const map = item['map'];
    if (isObject(map)) maps.push(parseNftMap(map, i));
    // metainfo, element, flowtable, counter objects: not analyzed.
  }
  return out;
}

function str(o: Record<string, unknown>, key: string, i: number): string {
  const v = o[key];
  if (typeof v !== 'string') throw new Error(`${WHAT}: entry ${i} has no string "${key}"`);
  return v;
}

const VERDICTS = new Set(['accept', 'drop', 'return', 'continue', 'queue']);

/** One statement or match, in nft's own syntax where it has one. */
function exprText(e: unknown): string {
  if (!isObject(e)) return String(e);
  const key = Object.keys(e)[0];
  if (key === undefined) return '';
  const v = e[key];
  if (VERDICTS.has(key)) return key;
  switch (key) {
    case 'match': {
      if (!isObject(v)) return 'match';
      const op = typeof v['op'] === 'string' ? v['op'] : '==';
      const shown = op === '==' || op === 'in' ? '' : `${op} `;
      return `${valueText(v['left'])} ${shown}${valueText(v['right'])}`;
    }
    case 'counter':
      return 'counter';
    case 'jump':
    case 'goto':
      return isObject(v) ? `${key} ${String(v['target'])}` : key;
    case 'reject': {
      if (!isObject(v) || v['type'] === undefined) return 'reject';
      // nft leaves the default (port-unreachable) unsaid.
      if (v['expr'] === 'port-unreachable') return 'reject';
      return `reject with ${String(v['type'])}${v['expr'] !== undefined ? ` ${String(v['expr'])}` : ''}`;
    }
    case 'xt':
      // iptables-nft compat expressions: nft shows only their kind and name.
      return isObject(v) ? `xt ${String(v['type'])} "${String(v['name'])}"` : 'xt';
    case 'masquerade':
      return isObject(v) && v['flags'] !== undefined ? `masquerade ${flagsText(v['flags'])}` : 'masquerade';
    case 'snat':
    case 'dnat':
    case 'redirect': {
      if (!isObject(v)) return key;
      const addr = v['addr'] !== undefined ? valueText(v['addr']) : '';
      const port = v['port'] !== undefined ? `:${valueText(v['port'])}` : '';
      return `${key} to ${addr}${port}`.trim();
    }
    case 'mangle':
      return isObject(v) ? `${valueText(v['key'])} set ${valueText(v['value'])}` : 'mangle';
    case 'log':
      return isObject(v) && typeof v['prefix'] === 'string' ? `log prefix "${v['prefix']}"` : 'log';
    case 'vmap':
      if (!isObject(v)) return 'vmap';
      return `${valueText(v['key'])} vmap ${typeof v['data'] === 'string' ? v['data'] : vmapText(v['data'])}`;
    case 'limit':
      return isObject(v) ? `limit rate ${String(v['rate'])}/${String(v['per'] ?? 'second')}` : 'limit';
    default:
      return key;
  }
}

/** An anonymous verdict map: `{ 0 : goto a, 1 : goto b }`. */
function vmapText(data: unknown): string {
  const set = isObject(data) ? data['set'] : undefined;
  if (!Array.isArray(set)) return valueText(data);
  const pairs = set.map((p) =>
    Array.isArray(p) && p.length === 2 ? `${valueText(p[0])} : ${exprText(p[1])}` : valueText(p),
  );
  return `{ ${pairs.join(', ')} }`;
}
