/**
 * The iptables rules kube-proxy and the CNI agent own, by chain prefix: the backend holding
 * them is the one the node's network agents write to. The backend-mixed rule compares the two
 * backends with it; the align-iptables-backend repair moves them with it.
 */
import type { IptablesDump, IptablesTable } from '../core/datapath-types.ts';
import { tableLayers } from '../datapath/iptables-layers.ts';

const OWNED = /^(KUBE|FLANNEL)-/;
/** kube-proxy's per-Service chains, listed once each kind. */
const PER_SERVICE = /^(KUBE-(?:SVC|SEP|EXT|FW|XLB|SVL))-\w+$/;

interface Owned {
  rules: number;
  chains: ReadonlySet<string>;
}

/** Per table, so a layer shared by many nodes is counted once. */
const ownedByTable = new WeakMap<IptablesTable, Owned>();

function ownedIn(t: IptablesTable): Owned {
  let o = ownedByTable.get(t);
  if (o) return o;
  const layers = tableLayers(t);
  if (layers) {
    const own = ownedIn(layers.own);
    const shared = ownedIn(layers.shared);
    o = { rules: own.rules + shared.rules, chains: new Set([...own.chains, ...shared.chains]) };
  } else {
    let rules = 0;
    const chains = new Set<string>();
    for (const r of t.rules) {
      if (OWNED.test(r.chain) || (r.target !== undefined && OWNED.test(r.target))) {
        rules++;
        if (OWNED.test(r.chain)) chains.add(`${t.name}/${r.chain.replace(PER_SERVICE, '$1-*')}`);
      }
    }
    o = { rules, chains };
  }
  ownedByTable.set(t, o);
  return o;
}

/**
 * KUBE-* / FLANNEL-* rules in a dump: their count and the chains they sit in (`table/chain`).
 * The backend holding them is the one kube-proxy and the CNI write to.
 */
export function owned(dump: IptablesDump): { rules: number; chains: string[] } {
  let rules = 0;
  const chains = new Set<string>();
  for (const t of Object.values(dump.tables)) {
    const o = ownedIn(t);
    rules += o.rules;
    for (const c of o.chains) chains.add(c);
  }
  return { rules, chains: [...chains].sort() };
}
