/**
 * The service-dnat hop: kube-proxy's nat rules on the source node translate a Service address
 * to one of its endpoints, or say why they cannot (no chain, no rule, no endpoints). A node
 * whose own rules show kube-proxy's nftables mode is followed through its table instead
 * (service-dnat-nft.ts).
 */
import { CLUSTER_FILES, nodeFile } from '../../collect/bundle/layout.ts';
import type { ServicePort } from '../../core/cluster-types.ts';
import type { NodeDatapath } from '../../core/datapath-types.ts';
import type { Evidence } from '../../core/model.ts';
import { activeIptables } from '../active-iptables.ts';
import { nodeProxyMode } from '../node-proxy-mode.ts';
import { resolveServiceNat } from '../service-nat.ts';
import type { NodeFacts, ResolvedEndpoint } from '../trace-cluster.ts';
import type { TraceProtocol } from '../trace-types.ts';
import { nftServiceHop } from './service-dnat-nft.ts';
import type { Walk } from './walk.ts';

/** kube-proxy's DNAT on the source node; returns the chosen endpoint or undefined to stop. */
export function serviceHop(
  w: Walk,
  node: NodeFacts,
  dp: NodeDatapath,
  to: ResolvedEndpoint,
): { ip: string; port?: number } | undefined {
  const svc = to.service!;
  const key = to.serviceKey!;
  const ports = svc.spec.ports ?? [];
  const wantProto = w.query.protocol;
  const sp: ServicePort | undefined = ports.find(
    (p) =>
      (w.query.port === undefined || p.port === w.query.port) &&
      (wantProto === undefined || (p.protocol ?? 'TCP').toLowerCase() === wantProto),
  );
  const base = {
    kind: 'service-dnat' as const,
    node: node.name,
    service: key,
    clusterIP: to.ip,
    endpoints: [] as string[],
  };
  if (!sp) {
    const want = `${w.query.port ?? ''}${wantProto ? `/${wantProto}` : ''}`;
    w.add({
      ...base,
      status: 'broken',
      port: w.query.port ?? 0,
      protocol: wantProto ?? 'tcp',
      summary: `${key} has no port ${want}`,
      reason: `Service ${key} exposes ${ports.map((p) => `${p.port}/${(p.protocol ?? 'TCP').toLowerCase()}`).join(', ') || 'no ports'}, not ${want}`,
      evidence: [{ source: `${CLUSTER_FILES.services}#${key}`, observed: JSON.stringify(ports) }],
    });
    return undefined;
  }
  const proto = (sp.protocol ?? 'TCP').toLowerCase() as TraceProtocol;
  w.protocol = proto;
  w.port = sp.port;
  const hop = { ...base, port: sp.port, protocol: proto };
  const tuple = `${to.ip}:${sp.port}/${proto}`;
  // The node's own rules say its mode; with both sets present nftables is taken as live (the
  // tracer has no configured mode to ask), and the stale set is proxy-stale-ruleset's finding.
  const mode = nodeProxyMode(dp, undefined);
  if (mode.status === 'detected' && mode.mode === 'nftables' && dp.nftRuleset)
    return nftServiceHop(
      w,
      node.name,
      dp.nftRuleset,
      hop,
      endpointSliceEvidence(w, key),
      readyEndpoints(w, key) === 0,
    );
  const active = activeIptables(dp);
  if (!active) {
    w.add({
      ...hop,
      status: 'unknown',
      summary: `no iptables rules were collected from ${node.name}`,
      reason: `no iptables dump was collected from ${node.name}, so the Service translation cannot be followed`,
      evidence: [],
    });
    return undefined;
  }
  const source = nodeFile(node.name, active.key);
  const nat = resolveServiceNat(active.dump, to.ip, sp.port, proto);
  const sliceEvidence = endpointSliceEvidence(w, key);
  switch (nat.status) {
    case 'no-chain':
      w.add({
        ...hop,
        status: 'broken',
        problem: 'no-chain',
        summary: `${node.name} has no KUBE-SERVICES chain`,
        reason: `${node.name} has no KUBE-SERVICES chain in its nat table: kube-proxy has not programmed this node`,
        evidence: [
          {
            source,
            observed: 'no :KUBE-SERVICES in *nat',
            expected: `KUBE-SERVICES with a rule for ${tuple}`,
          },
        ],
      });
      return undefined;
    case 'no-rule':
      w.add({
        ...hop,
        status: 'broken',
        // kube-proxy writes no nat rule for a Service without ready endpoints (it rejects in
        // filter instead): then the missing rule is the endpoints' doing, not kube-proxy's.
        problem: readyEndpoints(w, key) === 0 ? 'no-endpoints' : 'no-rule',
        summary: `no nat rule for ${tuple} on ${node.name}`,
        reason: `${node.name} has no KUBE-SERVICES rule for ${key} (${tuple}): kube-proxy's Service rules are missing or stale`,
        evidence: [
          {
            source,
            observed: `no -A KUBE-SERVICES -d ${to.ip}/32 ... --dport ${sp.port}`,
            expected: `a jump to KUBE-SVC-* for ${tuple}`,
          },
          ...sliceEvidence,
        ],
      });
      return undefined;
    case 'no-endpoints': {
      const what = nat.svcChain
        ? `${nat.svcChain} (${key}:${sp.name ?? sp.port})`
        : `${key}:${sp.name ?? sp.port}`;
      w.add({
        ...hop,
        status: 'broken',
        problem: 'no-endpoints',
        ...(nat.svcChain ? { chain: nat.svcChain } : {}),
        summary: `${what} has no endpoints`,
        reason: nat.svcChain
          ? `${what} has no endpoints: nothing to DNAT ${tuple} to`
          : `${what} has no endpoints: kube-proxy ${nat.rule.target === 'DROP' ? 'drops' : 'rejects'} ${tuple}`,
        evidence: [{ source, observed: `-A ${nat.rule.chain} ${nat.rule.spec}` }, ...sliceEvidence],
      });
      return undefined;
    }
    case 'ok': {
      const index = Math.min(w.endpointIndex, nat.endpoints.length - 1);
      const chosen = nat.endpoints[index]!;
      const all = nat.endpoints.map((e) => `${e.ip}${e.port !== undefined ? `:${e.port}` : ''}`);
      const endpoint = all[index]!;
      w.add({
        ...hop,
        status: 'ok',
        chain: nat.svcChain,
        endpoints: all,
        endpoint,
        summary: `${tuple} -> ${nat.svcChain} -> ${chosen.sepChain}: DNAT to ${endpoint}${all.length > 1 ? ` (following ${index + 1} of ${all.length} endpoints)` : ''}`,
        evidence: [
          { source, observed: `-A ${nat.serviceRule.chain} ${nat.serviceRule.spec}` },
          { source, observed: `-A ${chosen.dnatRule.chain} ${chosen.dnatRule.spec}` },
        ],
      });
      return chosen.port === undefined ? { ip: chosen.ip } : { ip: chosen.ip, port: chosen.port };
    }
  }
}

/** Ready endpoints of a Service in its EndpointSlices; undefined when it has no slice. */
function readyEndpoints(w: Walk, serviceKey: string): number | undefined {
  const [ns, name] = serviceKey.split('/');
  const slices = w.snapshot.cluster.endpointSlices.filter(
    (s) =>
      (s.metadata.namespace ?? 'default') === ns &&
      s.metadata.labels?.['kubernetes.io/service-name'] === name,
  );
  if (slices.length === 0) return undefined;
  return slices.flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready !== false).length;
}

function endpointSliceEvidence(w: Walk, serviceKey: string): Evidence[] {
  const [ns, name] = serviceKey.split('/');
  const slices = w.snapshot.cluster.endpointSlices.filter(
    (s) =>
      (s.metadata.namespace ?? 'default') === ns &&
      s.metadata.labels?.['kubernetes.io/service-name'] === name,
  );
  const ready = slices.flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions?.ready !== false);
  return [
    {
      source: `${CLUSTER_FILES.endpointSlices}#${serviceKey}`,
      observed: `${slices.length} EndpointSlice(s), ${ready.length} ready endpoint(s)`,
    },
  ];
}
