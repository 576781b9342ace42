/**
 * Follows kube-proxy's iptables-mode Service translation for one ClusterIP:port/protocol:
 * nat KUBE-SERVICES -> KUBE-SVC-* (or KUBE-SVL-*) -> KUBE-SEP-* -> DNAT --to-destination.
 * A Service without endpoints has no nat chain at all in current kube-proxy, only a REJECT in
 * the filter table's KUBE-SERVICES, so that is looked at too.
 */
import type { IptablesDump, IptablesRule } from '../core/datapath-types.ts';
import { chainPolicy } from './iptables-chains.ts';
import { iptablesOption } from './parsers/iptables-save.ts';

export interface ServiceEndpointRule {
  ip: string;
  port?: number;
  sepChain: string;
  dnatRule: IptablesRule;
}

export type ServiceNatResult =
  | { status: 'ok'; serviceRule: IptablesRule; svcChain: string; endpoints: ServiceEndpointRule[] }
  | { status: 'no-endpoints'; rule: IptablesRule; svcChain?: string }
  | { status: 'no-rule' }
  | { status: 'no-chain' };

export function resolveServiceNat(
  dump: IptablesDump,
  clusterIP: string,
  port: number,
  proto: string,
): ServiceNatResult {
  const nat = dump.tables['nat'];
  const matches = (r: IptablesRule): boolean =>
    (r.destination === `${clusterIP}/32` ||
      r.destination === clusterIP ||
      r.destination === `${clusterIP}/128`) &&
    !r.negations.includes('-d') &&
    (r.proto ?? '').toLowerCase() === proto &&
    (r.dport === undefined || r.dport === String(port));

  if (!nat || chainPolicy(nat, 'KUBE-SERVICES') === undefined) {
    const reject = findReject(dump, matches);
    return reject ? { status: 'no-endpoints', rule: reject } : { status: 'no-chain' };
  }
  const serviceRule = nat.rules.find(
    (r) =>
      r.chain === 'KUBE-SERVICES' &&
      matches(r) &&
      r.target !== undefined &&
      /^KUBE-(SVC|SVL|EXT)-/.test(r.target),
  );
  if (!serviceRule?.target) {
    const reject = findReject(dump, matches);
    return reject ? { status: 'no-endpoints', rule: reject } : { status: 'no-rule' };
  }
  const svcChain = serviceRule.target;
  const endpoints: ServiceEndpointRule[] = [];
  const chainsToScan = [svcChain];
  // KUBE-EXT-* forwards to KUBE-SVC-*; follow one level of such indirection.
  for (const r of nat.rules) {
    if (r.chain === svcChain && r.target && /^KUBE-(SVC|SVL)-/.test(r.target)) chainsToScan.push(r.target);
  }
  for (const chain of chainsToScan) {
    for (const r of nat.rules) {
      if (r.chain !== chain || !r.target?.startsWith('KUBE-SEP-')) continue;
      const sep = r.target;
      const dnatRule = nat.rules.find((x) => x.chain === sep && x.target === 'DNAT');
      if (!dnatRule) continue;
      const to = iptablesOption(dnatRule.spec, '--to-destination') ?? '';
      const colon = to.lastIndexOf(':');
      const ep: ServiceEndpointRule = { ip: colon === -1 ? to : to.slice(0, colon), sepChain: sep, dnatRule };
      if (colon !== -1) ep.port = Number(to.slice(colon + 1));
      endpoints.push(ep);
    }
  }
  if (endpoints.length === 0) return { status: 'no-endpoints', rule: serviceRule, svcChain };
  return { status: 'ok', serviceRule, svcChain, endpoints };
}

function findReject(dump: IptablesDump, matches: (r: IptablesRule) => boolean): IptablesRule | undefined {
  const filter = dump.tables['filter'];
  return filter?.rules.find(
    (r) =>
      (r.chain === 'KUBE-SERVICES' || r.chain === 'KUBE-EXTERNAL-SERVICES') &&
      (r.target === 'REJECT' || r.target === 'DROP') &&
      matches(r),
  );
}
