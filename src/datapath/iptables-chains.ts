import type { IptablesRule, IptablesTable } from '../core/datapath-types.ts';
import { tableLayers } from './iptables-layers.ts';

/** A table's rules by chain, in order; what every reader of chains needs and nothing more. */
export interface ChainIndex {
  get(chain: string): readonly IptablesRule[] | undefined;
  has(chain: string): boolean;
}

const byTable = new WeakMap<IptablesTable, ChainIndex>();

/**
 * A table's rules grouped by chain, in order. Cached per table: the evaluator and the rules walk
 * the same chains for every packet and every node, and a dump can hold tens of thousands of
 * rules. A layered table's index looks in its two layers' own indexes, so the shared layer is
 * grouped once for all the nodes that share it.
 */
export function chainRules(t: IptablesTable): ChainIndex {
  let index = byTable.get(t);
  if (index) return index;
  const layers = tableLayers(t);
  if (layers) {
    const own = chainRules(layers.own);
    const shared = chainRules(layers.shared);
    const { reordered } = layers;
    index = {
      get: (c) => own.get(c) ?? reordered.get(c) ?? shared.get(c),
      has: (c) => own.has(c) || shared.has(c),
    };
  } else {
    const m = new Map<string, IptablesRule[]>();
    for (const r of t.rules) {
      const list = m.get(r.chain);
      if (list) list.push(r);
      else m.set(r.chain, [r]);
    }
    index = m;
  }
  byTable.set(t, index);
  return index;
}

/**
 * The policy a table declares for `chain` (`-` for a user chain), or undefined when it does not
 * declare it. A layered table is asked layer by layer, so no node builds the merged list of its
 * 15,000 chains to look up one.
 */
export function chainPolicy(t: IptablesTable, chain: string): string | undefined {
  const layers = tableLayers(t);
  if (layers) return chainPolicy(layers.own, chain) ?? chainPolicy(layers.shared, chain);
  return Object.hasOwn(t.chains, chain) ? t.chains[chain] : undefined;
}

/**
 * A chain's rules for a reader to whom their order does not matter (which ClusterIPs a dispatch
 * chain covers, say). A chain a node holds in its own order comes back in the shared order, the
 * same array for every node sharing it, so what is derived from it can be cached once.
 */
export function chainRulesAnyOrder(t: IptablesTable, chain: string): readonly IptablesRule[] | undefined {
  const layers = tableLayers(t);
  if (layers?.reordered.has(chain)) return chainRules(layers.shared).get(chain);
  return chainRules(t).get(chain);
}
