import type { IptablesRule, IptablesTable } from '../core/datapath-types.ts';

const byTable = new WeakMap<IptablesTable, Map<string, IptablesRule[]>>();

/**
 * A table's rules grouped by chain, in order. Cached per table: the evaluator and the rules walk
 * the same chains for every packet and every node, and a dump can hold tens of thousands of rules.
 */
export function chainRules(t: IptablesTable): Map<string, IptablesRule[]> {
  let m = byTable.get(t);
  if (!m) {
    m = new Map();
    for (const r of t.rules) {
      const list = m.get(r.chain);
      if (list) list.push(r);
      else m.set(r.chain, [r]);
    }
    byTable.set(t, m);
  }
  return m;
}
