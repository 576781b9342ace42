/**
 * The Service NAT view of a node whose kube-proxy runs in iptables mode: nat KUBE-SERVICES ->
 * KUBE-SVC-* / KUBE-SVL-* / KUBE-EXT-* -> KUBE-SEP-* -> DNAT, and the filter table's REJECTs for
 * Services without endpoints. Built in one pass over the chain index, so a dump of a million
 * lines costs one walk, not one per Service.
 */
import type { NodeFileKey } from '../collect/bundle/layout.ts';
import type { IptablesDump, IptablesRule } from '../core/datapath-types.ts';
import { type ChainIndex, chainPolicy, chainRules } from './iptables-chains.ts';
import { iptablesOption } from './parsers/iptables-save.ts';
import { natKey, type ServiceNatEndpoint, type ServiceNatView } from './service-nat-view.ts';

const SERVICES = 'KUBE-SERVICES';
const SVC_CHAIN = /^KUBE-(SVC|SVL|EXT)-/;

function hostOf(dst: string | undefined): string | undefined {
  if (!dst) return undefined;
  const slash = dst.indexOf('/');
  if (slash === -1) return dst;
  const len = dst.slice(slash + 1);
  return len === '32' || len === '128' ? dst.slice(0, slash) : undefined;
}

function show(r: IptablesRule): string {
  return `-A ${r.chain} ${r.spec}`;
}

/** The view of one iptables dump; `source` names the dump's node file. */
export function iptablesServiceNatView(dump: IptablesDump, source: NodeFileKey): ServiceNatView {
  const nat = dump.tables['nat'];
  const byChain: ChainIndex = nat ? chainRules(nat) : new Map<string, IptablesRule[]>();
  const services = byChain.get(SERVICES) ?? [];
  const view: ServiceNatView = {
    mode: 'iptables',
    source,
    dispatch: services.length > 0,
    hooks: {
      prerouting: (byChain.get('PREROUTING') ?? []).some((r) => r.target === SERVICES),
      output: (byChain.get('OUTPUT') ?? []).some((r) => r.target === SERVICES),
    },
    entries: new Map(),
    noEndpoints: new Map(),
  };
  if (!view.dispatch)
    view.dispatchMissing = !nat
      ? 'no nat table'
      : chainPolicy(nat, SERVICES) === undefined
        ? `no ${SERVICES} chain in nat`
        : `${SERVICES} is empty`;
  for (const r of services) {
    if (!r.target || !SVC_CHAIN.test(r.target) || r.negations.includes('-d')) continue;
    const ip = hostOf(r.destination);
    if (!ip || !r.proto || r.dport === undefined) continue;
    view.entries.set(natKey(ip, r.dport, r.proto), {
      ip,
      port: Number(r.dport),
      protocol: r.proto.toLowerCase(),
      entry: show(r),
      chain: r.target,
      endpoints: endpointsOf(byChain, r.target),
    });
  }
  const filter = dump.tables['filter'];
  for (const r of filter ? (chainRules(filter).get(SERVICES) ?? []) : []) {
    if (r.target !== 'REJECT' && r.target !== 'DROP') continue;
    const ip = hostOf(r.destination);
    if (!ip || !r.proto || r.dport === undefined) continue;
    view.noEndpoints.set(natKey(ip, r.dport, r.proto), {
      ip,
      port: Number(r.dport),
      protocol: r.proto.toLowerCase(),
      verdict: r.target,
      entry: show(r),
    });
  }
  return view;
}

/** KUBE-SEP-* DNATs reachable from a Service chain (KUBE-EXT-* forwards to KUBE-SVC-* first). */
function endpointsOf(byChain: ChainIndex, svcChain: string): ServiceNatEndpoint[] {
  const out: ServiceNatEndpoint[] = [];
  const chains = [svcChain];
  for (const r of byChain.get(svcChain) ?? [])
    if (r.target && /^KUBE-(SVC|SVL)-/.test(r.target)) chains.push(r.target);
  for (const chain of chains) {
    for (const r of byChain.get(chain) ?? []) {
      if (!r.target?.startsWith('KUBE-SEP-')) continue;
      const dnat = (byChain.get(r.target) ?? []).find((x) => x.target === 'DNAT');
      if (!dnat) continue;
      const to = iptablesOption(dnat.spec, '--to-destination') ?? '';
      const colon = to.lastIndexOf(':');
      const ep: ServiceNatEndpoint = {
        ip: colon === -1 ? to : to.slice(0, colon),
        chain: r.target,
        rule: show(dnat),
      };
      if (colon !== -1) ep.port = Number(to.slice(colon + 1));
      out.push(ep);
    }
  }
  return out;
}
