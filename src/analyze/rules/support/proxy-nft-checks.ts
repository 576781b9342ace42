/**
 * What proxy-rules-missing finds on a node whose kube-proxy runs in nftables mode: kube-proxy's
 * table absent, its Service dispatch or the nat-prerouting/nat-output hooks into it missing,
 * ready Services without a `service-ips` entry, and entries whose Service chain has no endpoint
 * left. Each gap is one piece of evidence citing the node's nft-ruleset.json.
 */
import type { Evidence } from '../../../core/model.ts';
import { KP_CHAIN, KP_MAP } from '../../../datapath/kube-proxy-nft.ts';
import { dispatchedIps, type ServiceNatView } from '../../../datapath/service-nat-view.ts';
import { listSome, nodeSource } from './datapath.ts';

/** A ClusterIP Service with ready endpoints, which kube-proxy must dispatch. */
export interface ExpectedService {
  key: string;
  clusterIP: string;
}

/** What a node's gaps add up to: the finding's confidence, summary and evidence (confidence 0: none). */
export interface ProxyGaps {
  confidence: number;
  summary: string;
  evidence: Evidence[];
  /** The ready Services (`ns/name`) the node does not dispatch. */
  missing: string[];
  /** The confidence of every gap but the missing Services (0: those are all there is). */
  structural: number;
}

/** Gaps in kube-proxy's nftables rules on `node`; `view` undefined means no kube-proxy table. */
export function nftProxyGaps(
  node: string,
  view: ServiceNatView | undefined,
  expected: ExpectedService[],
): ProxyGaps {
  const source = nodeSource(node, 'nftRuleset');
  if (!view)
    return {
      confidence: 0.9,
      structural: 0.9,
      missing: [],
      summary: `kube-proxy on ${node} runs in nftables mode but the node has no kube-proxy table`,
      evidence: [
        {
          source,
          observed: 'no table ip kube-proxy in nft list ruleset',
          expected: `table ip kube-proxy with chain ${KP_CHAIN.services} and map ${KP_MAP.serviceIps}`,
        },
      ],
    };
  if (!view.dispatch)
    return {
      confidence: 0.9,
      structural: 0.9,
      missing: [],
      summary: `kube-proxy on ${node} has a kube-proxy table but no Service dispatch in it`,
      evidence: [
        {
          source,
          observed: view.dispatchMissing ?? 'no Service dispatch',
          expected: `chain ${KP_CHAIN.services} { ip daddr . meta l4proto . th dport vmap @${KP_MAP.serviceIps} }`,
        },
      ],
    };
  const gaps: ProxyGaps = { confidence: 0, summary: '', evidence: [], missing: [], structural: 0 };
  const unhooked = [
    ...(view.hooks.prerouting ? [] : [`${KP_CHAIN.natPrerouting} (hook prerouting)`]),
    ...(view.hooks.output ? [] : [`${KP_CHAIN.natOutput} (hook output)`]),
  ];
  if (unhooked.length > 0) {
    gaps.confidence = 0.85;
    gaps.structural = 0.85;
    gaps.summary = `kube-proxy on ${node} is Running but ${unhooked.join(' and ')} do not jump to ${KP_CHAIN.services}`;
    gaps.evidence.push({
      source,
      observed: `table ip kube-proxy: no base chain ${unhooked.join(', ')} jumping to ${KP_CHAIN.services}`,
      expected: `chain ${KP_CHAIN.natPrerouting} { type nat hook prerouting priority dstnat; jump ${KP_CHAIN.services} } and the same for ${KP_CHAIN.natOutput} on hook output`,
    });
  }
  const present = dispatchedIps(view);
  // A `drop` in no-endpoint-services is kube-proxy's answer for a traffic policy of Local with
  // no endpoint on this node: deliberate, not missing. A reject there for a Service that has
  // ready endpoints is kube-proxy working from a stale view, and counts as missing.
  const rejected = new Set<string>();
  for (const ne of view.noEndpoints.values()) (ne.verdict === 'drop' ? present : rejected).add(ne.ip);
  const missing = expected.filter((s) => !present.has(s.clusterIP));
  if (missing.length > 0) {
    gaps.missing = missing.map((s) => s.key);
    gaps.confidence = Math.max(gaps.confidence, missing.length * 2 > expected.length ? 0.85 : 0.7);
    gaps.summary ||= `kube-proxy on ${node} has no ${KP_MAP.serviceIps} entry for ${missing.length} of ${expected.length} Services with ready endpoints`;
    gaps.evidence.push({
      source,
      observed: `no ${KP_MAP.serviceIps} element for ${listSome(
        missing.map(
          (s) =>
            `${s.key} (${s.clusterIP}${rejected.has(s.clusterIP) ? ', rejected as having no endpoints' : ''})`,
        ),
        6,
      )}`,
      expected: `an element "<clusterIP> . <proto> . <port> : goto service-..." in map ${KP_MAP.serviceIps} for every ClusterIP Service with ready endpoints`,
    });
  }
  const ready = new Map(expected.map((s) => [s.clusterIP, s.key]));
  const empty = [...view.entries.values()].filter((e) => e.endpoints.length === 0 && ready.has(e.ip));
  if (empty.length > 0) {
    gaps.confidence = Math.max(gaps.confidence, 0.8);
    gaps.structural = Math.max(gaps.structural, 0.8);
    gaps.summary ||= `kube-proxy on ${node} dispatches ${empty.length} Service port(s) with ready endpoints to chains that DNAT nowhere`;
    gaps.evidence.push({
      source,
      observed: listSome(
        empty.map(
          (e) =>
            `${ready.get(e.ip)} ${e.ip}:${e.port}/${e.protocol} -> ${e.chain}: no endpoint chain with a dnat`,
        ),
        4,
      ),
      expected:
        'each service-... chain picks an endpoint-... chain (numgen random mod N vmap) that DNATs to a ready endpoint',
    });
  }
  return gaps;
}
