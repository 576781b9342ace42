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
}

const layersByTable = new WeakMap<IptablesTable, TableLayers>();

/** The layers `t` was assembled from, or undefined for a table parsed from one text. */
export function tableLayers(t: IptablesTable): TableLayers | undefined {
  return layersByTable.get(t);
}

/**
 * The node's dump with the shared chains laid under its own. A table only one layer has is that
 * layer's object (so its caches are shared too). Throws when a chain is in both layers: the
 * writer never splits a chain, so such a pair is not a bundle netdoctor wrote.
 */
export function layerDumps(own: IptablesDump, shared: IptablesDump): IptablesDump {
  const tables: Record<string, IptablesTable> = { ...own.tables };
  for (const [name, s] of Object.entries(shared.tables)) {
    const o = own.tables[name];
    tables[name] = o === undefined ? s : layeredTable(o, s);
  }
  return { backend: own.backend, tables };
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

function layeredTable(own: IptablesTable, shared: IptablesTable): IptablesTable {
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
      rules ??= [...own.rules, ...shared.rules];
      return rules;
    },
  };
  layersByTable.set(t, { own, shared });
  return t;
}
