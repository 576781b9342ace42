/**
 * The service-dnat hop on a node whose kube-proxy runs in nftables mode: the `service-ips`
 * verdict map sends the Service address to its `service-...` chain, which picks an
 * `endpoint-...` chain that DNATs (datapath/kube-proxy-nft.ts). Problems map onto the same
 * hop vocabulary as iptables mode: no dispatch (no-chain), no map entry (no-rule), no endpoint.
 */
import { nodeFile } from '../../collect/bundle/layout.ts';
import type { NftRuleset } from '../../core/datapath-types.ts';
import type { Evidence } from '../../core/model.ts';
import { KP_CHAIN, KP_MAP } from '../kube-proxy-nft.ts';
import { natKey } from '../service-nat-view.ts';
import { nftServiceNatView } from '../service-nat-view-nft.ts';
import type { TraceHop, TraceProtocol } from '../trace-types.ts';
import type { Walk } from './walk.ts';

type ServiceHop = Extract<TraceHop, { kind: 'service-dnat' }>;

/** Fields of the hop the caller has already settled (service, address, port, protocol). */
export type ServiceHopBase = Omit<ServiceHop, 'status' | 'summary' | 'reason' | 'evidence' | 'problem'> & {
  protocol: TraceProtocol;
};

/**
 * Adds the hop and returns the endpoint followed, or undefined when the translation stops.
 * `noEndpointsIsTheirs` says whether the Service itself has no ready endpoints (then a missing
 * entry is the endpoints' doing, not kube-proxy's).
 */
export function nftServiceHop(
  w: Walk,
  node: string,
  rs: NftRuleset,
  hop: ServiceHopBase,
  sliceEvidence: Evidence[],
  noReadyEndpoints: boolean,
): { ip: string; port?: number } | undefined {
  const source = nodeFile(node, 'nftRuleset');
  const tuple = `${hop.clusterIP}:${hop.port}/${hop.protocol}`;
  const view = nftServiceNatView(rs);
  if (!view?.dispatch) {
    w.add({
      ...hop,
      status: 'broken',
      problem: 'no-chain',
      summary: `${node} has no kube-proxy Service dispatch`,
      reason: `${node} runs kube-proxy in nftables mode but ${view ? (view.dispatchMissing ?? 'its dispatch is missing') : 'has no kube-proxy table'}: kube-proxy has not programmed this node`,
      evidence: [
        {
          source,
          observed: view ? (view.dispatchMissing ?? 'no dispatch') : 'no table ip kube-proxy',
          expected: `chain ${KP_CHAIN.services} looking up @${KP_MAP.serviceIps} with an element for ${tuple}`,
        },
      ],
    });
    return undefined;
  }
  const key = natKey(hop.clusterIP, hop.port, hop.protocol);
  const entry = view.entries.get(key);
  if (!entry) {
    const none = view.noEndpoints.get(key);
    if (none) {
      w.add({
        ...hop,
        status: 'broken',
        problem: 'no-endpoints',
        summary: `${hop.service}:${hop.port} has no endpoints`,
        reason: `${hop.service} has no endpoints: kube-proxy sends ${tuple} to ${none.verdict}`,
        evidence: [{ source, observed: none.entry }, ...sliceEvidence],
      });
      return undefined;
    }
    w.add({
      ...hop,
      status: 'broken',
      problem: noReadyEndpoints ? 'no-endpoints' : 'no-rule',
      summary: `no ${KP_MAP.serviceIps} entry for ${tuple} on ${node}`,
      reason: `${node} has no ${KP_MAP.serviceIps} element for ${hop.service} (${tuple}): kube-proxy's Service rules are missing or stale`,
      evidence: [
        {
          source,
          observed: `no element ${hop.clusterIP} . ${hop.protocol} . ${hop.port} in map ip kube-proxy ${KP_MAP.serviceIps}`,
          expected: `${hop.clusterIP} . ${hop.protocol} . ${hop.port} : goto service-...`,
        },
        ...sliceEvidence,
      ],
    });
    return undefined;
  }
  if (entry.endpoints.length === 0) {
    w.add({
      ...hop,
      status: 'broken',
      problem: 'no-endpoints',
      chain: entry.chain,
      summary: `${entry.chain} has no endpoints`,
      reason: `${entry.chain} (${hop.service}) has no endpoint chain that DNATs: nothing to DNAT ${tuple} to`,
      evidence: [{ source, observed: entry.entry }, ...sliceEvidence],
    });
    return undefined;
  }
  const index = Math.min(w.endpointIndex, entry.endpoints.length - 1);
  const chosen = entry.endpoints[index]!;
  const all = entry.endpoints.map((e) => `${e.ip}${e.port !== undefined ? `:${e.port}` : ''}`);
  const endpoint = all[index]!;
  w.add({
    ...hop,
    status: 'ok',
    chain: entry.chain,
    endpoints: all,
    endpoint,
    summary: `${tuple} -> ${entry.chain} -> ${chosen.chain}: DNAT to ${endpoint}${all.length > 1 ? ` (following ${index + 1} of ${all.length} endpoints)` : ''}`,
    evidence: [
      { source, observed: entry.entry },
      { source, observed: `chain ${chosen.chain}: ${chosen.rule}` },
    ],
  });
  return chosen.port === undefined ? { ip: chosen.ip } : { ip: chosen.ip, port: chosen.port };
}
