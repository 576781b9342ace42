/**
 * kube-proxy's nftables mode as it programs a node (kubernetes pkg/proxy/nftables/proxier.go):
 * one table per family, `ip kube-proxy` and `ip6 kube-proxy`. Base chains `nat-prerouting` and
 * `nat-output` jump to `services`, which looks the destination up in the `service-ips` verdict
 * map (`ip daddr . meta l4proto . th dport vmap @service-ips`); each element goes to a
 * `service-<hash>-<ns>/<name>/<proto>/<port>` chain, which picks an `endpoint-<hash>-...` chain
 * with `numgen random mod N vmap { ... }`; the endpoint chain DNATs. A Service without endpoints
 * is instead in `no-endpoint-services`, rejected from the filter chains.
 */
import type { NftMap, NftRule, NftRuleset, NftSet } from '../core/datapath-types.ts';

export const KUBE_PROXY_TABLE = 'kube-proxy';

/** Chains kube-proxy creates in every sync, by role. */
export const KP_CHAIN = {
  natPrerouting: 'nat-prerouting',
  natOutput: 'nat-output',
  natPostrouting: 'nat-postrouting',
  services: 'services',
  masquerading: 'masquerading',
  markForMasquerade: 'mark-for-masquerade',
  serviceEndpointsCheck: 'service-endpoints-check',
  rejectChain: 'reject-chain',
} as const;

/** Named maps and sets kube-proxy keeps its Service state in. */
export const KP_MAP = {
  serviceIps: 'service-ips',
  serviceNodePorts: 'service-nodeports',
  noEndpointServices: 'no-endpoint-services',
  noEndpointNodePorts: 'no-endpoint-nodeports',
  firewallIps: 'firewall-ips',
} as const;
export const KP_SET = { clusterIps: 'cluster-ips', nodePortIps: 'nodeport-ips' } as const;

/** The prefixes of kube-proxy's per-Service and per-endpoint chains. */
export type KpChainKind = 'service' | 'local' | 'external' | 'firewall' | 'endpoint';

/** What a per-Service or per-endpoint chain name says about its Service port. */
export interface KpChainName {
  kind: KpChainKind;
  /** base32 hash kube-proxy prefixes the name with (first 8 characters of a sha256). */
  hash: string;
  namespace: string;
  name: string;
  protocol: string;
  /** The ServicePort's name; empty for an unnamed port. */
  portName: string;
  /** `ip/port` of the endpoint, for endpoint chains. */
  endpoint?: string;
}

const CHAIN_NAME =
  /^(service|local|external|firewall|endpoint)-([A-Z2-7]{8})-([^/]+)\/([^/]+)\/([a-z]+)\/([^_]*?)(?:__(.+))?$/;

/** Parses `service-ULMVA6XW-ns1/svc1/tcp/p80` or `endpoint-...__10.180.0.1/80`; undefined for other chains. */
export function parseKpChainName(chain: string): KpChainName | undefined {
  const m = CHAIN_NAME.exec(chain);
  if (!m) return undefined;
  const n: KpChainName = {
    kind: m[1] as KpChainKind,
    hash: m[2]!,
    namespace: m[3]!,
    name: m[4]!,
    protocol: m[5]!,
    portName: m[6]!,
  };
  if (m[7] !== undefined) n.endpoint = m[7];
  return n;
}

/** kube-proxy's table of one family, indexed for lookups. */
export interface KubeProxyTable {
  family: string;
  /** Chain name -> its base-chain hook (`prerouting`, ...), or undefined for a regular chain. */
  chains: Map<string, string | undefined>;
  rulesByChain: Map<string, NftRule[]>;
  maps: Map<string, NftMap>;
  sets: Map<string, NftSet>;
}

const tablesCache = new WeakMap<NftRuleset, KubeProxyTable[]>();

/** The node's kube-proxy tables (`ip`, then `ip6`), indexed; empty when kube-proxy has none. */
export function kubeProxyTables(rs: NftRuleset): KubeProxyTable[] {
  const hit = tablesCache.get(rs);
  if (hit) return hit;
  const byFamily = new Map<string, KubeProxyTable>();
  for (const t of rs.tables) {
    if (t.name !== KUBE_PROXY_TABLE) continue;
    byFamily.set(t.family, {
      family: t.family,
      chains: new Map(),
      rulesByChain: new Map(),
      maps: new Map(),
      sets: new Map(),
    });
  }
  if (byFamily.size > 0) {
    for (const c of rs.chains) {
      const t = c.table === KUBE_PROXY_TABLE ? byFamily.get(c.family) : undefined;
      if (t) t.chains.set(c.name, c.hook);
    }
    for (const r of rs.rules) {
      const t = r.table === KUBE_PROXY_TABLE ? byFamily.get(r.family) : undefined;
      if (!t) continue;
      const list = t.rulesByChain.get(r.chain);
      if (list) list.push(r);
      else t.rulesByChain.set(r.chain, [r]);
    }
    for (const m of rs.maps ?? []) {
      const t = m.table === KUBE_PROXY_TABLE ? byFamily.get(m.family) : undefined;
      if (t) t.maps.set(m.name, m);
    }
    for (const s of rs.sets ?? []) {
      const t = s.table === KUBE_PROXY_TABLE ? byFamily.get(s.family) : undefined;
      if (t) t.sets.set(s.name, s);
    }
  }
  const out = [...byFamily.values()].sort((a, b) => (a.family < b.family ? -1 : a.family > b.family ? 1 : 0));
  tablesCache.set(rs, out);
  return out;
}

/** Whether `chain` hands packets to `target` by a jump or goto. */
export function jumpsTo(t: KubeProxyTable, chain: string, target: string): boolean {
  return (t.rulesByChain.get(chain) ?? []).some((r) =>
    (r.statements ?? []).some((s) => (s.kind === 'jump' || s.kind === 'goto') && s.target === target),
  );
}

/** Whether `chain` looks packets up in the named verdict map. */
export function looksUp(t: KubeProxyTable, chain: string, map: string): boolean {
  return (t.rulesByChain.get(chain) ?? []).some((r) =>
    (r.statements ?? []).some((s) => s.kind === 'vmap-ref' && s.map === map),
  );
}
