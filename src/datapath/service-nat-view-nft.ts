/**
 * The Service NAT view of a node whose kube-proxy runs in nftables mode, read from its
 * `kube-proxy` tables (see kube-proxy-nft.ts for the structure followed).
 */
import type { NftMapElement, NftRuleset, NftVerdict } from '../core/datapath-types.ts';
import {
  jumpsTo,
  KP_CHAIN,
  KP_MAP,
  type KubeProxyTable,
  kubeProxyTables,
  looksUp,
} from './kube-proxy-nft.ts';
import {
  type NoEndpointEntry,
  natKey,
  type ServiceNatEndpoint,
  type ServiceNatEntry,
  type ServiceNatView,
} from './service-nat-view.ts';

/** How deep chains are followed from a map entry (external- -> service- -> endpoint- is 3). */
const MAX_DEPTH = 6;

const viewCache = new WeakMap<NftRuleset, ServiceNatView | undefined>();

/** The view, or undefined when the node has no kube-proxy table at all. */
export function nftServiceNatView(rs: NftRuleset): ServiceNatView | undefined {
  if (viewCache.has(rs)) return viewCache.get(rs);
  const tables = kubeProxyTables(rs);
  let view: ServiceNatView | undefined;
  if (tables.length > 0) {
    view = {
      mode: 'nftables',
      source: 'nftRuleset',
      dispatch: false,
      hooks: { prerouting: false, output: false },
      entries: new Map(),
      noEndpoints: new Map(),
    };
    // IPv4 Services are dispatched by the `ip` table: its hooks are the ones that matter; the
    // `ip6` table stands in only on an IPv6-only node.
    const primary = tables.find((t) => t.family === 'ip') ?? tables[0]!;
    view.dispatch =
      primary.chains.has(KP_CHAIN.services) && looksUp(primary, KP_CHAIN.services, KP_MAP.serviceIps);
    if (!view.dispatch)
      view.dispatchMissing = `table ${primary.family} kube-proxy: ${
        primary.chains.has(KP_CHAIN.services)
          ? `chain ${KP_CHAIN.services} does not look up @${KP_MAP.serviceIps}`
          : `no chain ${KP_CHAIN.services}`
      }`;
    view.hooks.prerouting = hooked(primary, KP_CHAIN.natPrerouting, 'prerouting');
    view.hooks.output = hooked(primary, KP_CHAIN.natOutput, 'output');
    for (const t of tables) addEntries(t, view);
  }
  viewCache.set(rs, view);
  return view;
}

/** A base chain on `hook` that jumps to `services`. */
function hooked(t: KubeProxyTable, chain: string, hook: string): boolean {
  return t.chains.get(chain) === hook && jumpsTo(t, chain, KP_CHAIN.services);
}

function verdictText(v: NftVerdict): string {
  return v.kind === 'jump' || v.kind === 'goto' ? `${v.kind} ${v.target}` : v.kind;
}

function elementText(map: string, e: NftMapElement): string {
  const value = e.value.kind === 'verdict' ? verdictText(e.value.verdict) : e.value.data.join(' . ');
  return `${map}: ${e.key.join(' . ')} : ${value}`;
}

function addEntries(t: KubeProxyTable, view: ServiceNatView): void {
  const ips = t.maps.get(KP_MAP.serviceIps);
  for (const e of ips?.elements ?? []) {
    const [ip, proto, port] = e.key;
    if (ip === undefined || proto === undefined || port === undefined) continue;
    if (e.value.kind !== 'verdict') continue;
    const v = e.value.verdict;
    if (v.kind !== 'goto' && v.kind !== 'jump') continue;
    const entry: ServiceNatEntry = {
      ip,
      port: Number(port),
      protocol: proto,
      entry: elementText(KP_MAP.serviceIps, e),
      chain: v.target,
      endpoints: endpointsOf(t, v.target),
    };
    view.entries.set(natKey(ip, port, proto), entry);
  }
  const none = t.maps.get(KP_MAP.noEndpointServices);
  for (const e of none?.elements ?? []) {
    const [ip, proto, port] = e.key;
    if (ip === undefined || proto === undefined || port === undefined || e.value.kind !== 'verdict') continue;
    const ne: NoEndpointEntry = {
      ip,
      port: Number(port),
      protocol: proto,
      verdict: verdictText(e.value.verdict),
      entry: elementText(KP_MAP.noEndpointServices, e),
    };
    view.noEndpoints.set(natKey(ip, port, proto), ne);
  }
}

/** Endpoint chains reachable from a Service chain, each with its DNAT. */
function endpointsOf(t: KubeProxyTable, start: string): ServiceNatEndpoint[] {
  const out: ServiceNatEndpoint[] = [];
  const seen = new Set<string>();
  const walk = (chain: string, depth: number): void => {
    if (seen.has(chain) || depth > MAX_DEPTH) return;
    seen.add(chain);
    for (const r of t.rulesByChain.get(chain) ?? []) {
      for (const s of r.statements ?? []) {
        if (s.kind === 'dnat') {
          if (s.addr === undefined) continue;
          const ep: ServiceNatEndpoint = { ip: s.addr, chain, rule: r.text };
          if (s.port !== undefined) ep.port = s.port;
          out.push(ep);
        } else if (s.kind === 'jump' || s.kind === 'goto') {
          // mark-for-masquerade only marks; other jumps/gotos stay inside the Service's chains.
          if (s.target !== KP_CHAIN.markForMasquerade) walk(s.target, depth + 1);
        } else if (s.kind === 'vmap') {
          for (const e of s.elements)
            if (
              e.value.kind === 'verdict' &&
              (e.value.verdict.kind === 'goto' || e.value.verdict.kind === 'jump')
            )
              walk(e.value.verdict.target, depth + 1);
        }
      }
    }
  };
  walk(start, 0);
  return out;
}
