/**
 * A node's iptables dump assembled from two layers: the node's own chains, and kube-proxy's
 * cluster-wide chains read once from a shared file and shared, frozen, by every node whose
 * chains are the same text. Work derived from a table (its chain index, what it owns, whether
 * a chain is reached) is cached per layer, so on a cluster of thousands of nodes it is done once
 * for the shared layer instead of once per node.
 */
import type { IptablesDump, IptablesRule, IptablesTable } from '../core/datapath-types.ts';

/** The two tables a layered table was assembled from. */
export interface TableLayers {
  own: IptablesTable;
  /** Frozen, and the same object for every node sharing the content. */
  shared: IptablesTable;
  /** Shared chains whose rules this node holds in another order than the shared file (its own order). */
  reordered: ReadonlyMap<string, readonly IptablesRule[]>;
}

/** A shared chain's rules in the node's order: `order[k]` is the shared index of the node's k-th rule. */
export interface LayerOrder {
  table: string;
  chain: string;
  order: readonly number[];
}

const layersByTable = new WeakMap<IptablesTable, TableLayers>();

/** The layers `t` was assembled from, or undefined for a table parsed from one text. */
export function tableLayers(t: IptablesTable): TableLayers | undefined {
  return layersByTable.get(t);
}

/**
 * The node's dump with the shared chains laid under its own, each reordered chain in the node's
 * order. A table only one layer has, in the shared order, is that layer's object (so its caches
 * are shared too). Throws when a chain is in both layers (the writer never splits a chain), or an
 * order is not a permutation of the shared chain's rules: such a pair is not a bundle netdoctor
 * wrote, and guessing would put one node's rules on another.
 */
export function layerDumps(
  own: IptablesDump,
  shared: IptablesDump,
  orders: readonly LayerOrder[] = [],
): IptablesDump {
  const tables: Record<string, IptablesTable> = { ...own.tables };
  for (const o of orders) {
    if (!Object.hasOwn(shared.tables, o.table))
      throw new Error(`an order is given for table ${o.table}, which the shared chains do not have`);
  }
  for (const [name, s] of Object.entries(shared.tables)) {
    const o = own.tables[name];
    const mine = orders.filter((x) => x.table === name);
    tables[name] =
      o === undefined && mine.length === 0
        ? s
        : layeredTable(o ?? { name, chains: {}, rules: [] }, s, reorder(s, mine));
  }
  return { backend: own.backend, tables };
}

/** A shared table's rules of one chain, in the shared order; grouped once per shared table. */
const sharedChainRules = new WeakMap<IptablesTable, Map<string, IptablesRule[]>>();
function sharedRulesOf(shared: IptablesTable, chain: string): readonly IptablesRule[] {
  let m = sharedChainRules.get(shared);
  if (!m) {
    m = new Map();
    for (const r of shared.rules) {
      const list = m.get(r.chain);
      if (list) list.push(r);
      else m.set(r.chain, [r]);
    }
    sharedChainRules.set(shared, m);
  }
  return m.get(chain) ?? [];
}

function reorder(shared: IptablesTable, orders: readonly LayerOrder[]): Map<string, readonly IptablesRule[]> {
  const out = new Map<string, readonly IptablesRule[]>();
  for (const { chain, order } of orders) {
    const base = sharedRulesOf(shared, chain);
    const seen = new Uint8Array(base.length);
    let ok = !out.has(chain) && order.length === base.length;
    for (let k = 0; ok && k < order.length; k++) {
      const i = order[k] as number;
      ok = Number.isInteger(i) && i >= 0 && i < base.length && seen[i] === 0;
      if (ok) seen[i] = 1;
    }
    if (!ok) {
      throw new Error(
        `table ${shared.name}: the order given for ${chain} is not a permutation of its ${base.length} shared rules`,
      );
    }
    out.set(
      chain,
      order.map((i) => base[i] as IptablesRule),
    );
  }
  return out;
}

/** Deep-freezes a shared dump, so no reader of one node can change what other nodes see. */
export function freezeDump(dump: IptablesDump): Readonly<IptablesDump> {
  for (const t of Object.values(dump.tables)) {
    for (const r of t.rules) {
      Object.freeze(r.negations);
      Object.freeze(r);
    }
    Object.freeze(t.rules);
    Object.freeze(t.chains);
    Object.freeze(t);
  }
  Object.freeze(dump.tables);
  return Object.freeze(dump);
}

function layeredTable(
  own: IptablesTable,
  shared: IptablesTable,
  reordered: ReadonlyMap<string, readonly IptablesRule[]>,
): IptablesTable {
  for (const c of Object.keys(own.chains)) {
    if (Object.hasOwn(shared.chains, c))
      throw new Error(`table ${own.name}: chain ${c} is in both the node's file and its shared chains`);
  }
  for (const r of own.rules) {
    if (Object.hasOwn(shared.chains, r.chain))
      throw new Error(`table ${own.name}: the node's file adds rules to the shared chain ${r.chain}`);
  }
  // The merged views are built only when something reads them whole: the rules and the tracer
  // go through the per-layer chain index instead, which costs nothing per node.
  let chains: Record<string, string> | undefined;
  let rules: IptablesRule[] | undefined;
  const t: IptablesTable = {
    name: own.name,
    get chains(): Record<string, string> {
      chains ??= { ...own.chains, ...shared.chains };
      return chains;
    },
    get rules(): IptablesRule[] {
      rules ??= [
        ...own.rules,
        ...(reordered.size === 0 ? shared.rules : shared.rules.filter((r) => !reordered.has(r.chain))),
        ...[...reordered.values()].flat(),
      ];
      return rules;
    },
  };
  layersByTable.set(t, { own, shared, reordered });
  return t;
}
