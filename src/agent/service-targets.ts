/**
 * What the agent probes besides its peers: cluster DNS and the API server, each by its Service's
 * ClusterIP and at every endpoint behind it. The agent reads no API, so the addresses come from
 * the node itself: the Service translation kube-proxy programmed on it (the node file the agent
 * has just parsed). That is also the translation this node's pods go through, so a CoreDNS pod
 * the node's rules still send queries to is probed even when the API says it is gone.
 *
 * A node without kube-proxy's rules for a Service (a CNI that replaces kube-proxy, or rules
 * that are missing) gets no target for it, and the reason is kept: not probing is never
 * reported as reachable.
 */
import type { NodeDatapath } from '../core/datapath-types.ts';
import { nodeServiceNat } from '../datapath/node-service-nat.ts';
import type { NoEndpointEntry, ServiceNatEntry } from '../datapath/service-nat-view.ts';

/** The Services every agent probes, by the name it reports them under. */
export const CLUSTER_SERVICES = {
  'kube-dns': { namespace: 'kube-system', name: 'kube-dns' },
  kubernetes: { namespace: 'default', name: 'kubernetes' },
} as const;
export type ClusterServiceId = keyof typeof CLUSTER_SERVICES;

/** How a probe reaches the Service: its ClusterIP (through the node's translation) or one endpoint directly. */
export type ServiceVia = 'cluster-ip' | 'endpoint';

/**
 * The probes of a Service: DNS over UDP and over TCP for DNS, a TLS handshake for the API server
 * (a bare TCP connect would make every API server log a failed handshake per probe).
 */
export const SERVICE_PROBE_KINDS = ['dns-udp', 'dns-tcp', 'tls'] as const;
export type ServiceProbeKind = (typeof SERVICE_PROBE_KINDS)[number];

/** One address and port to probe, and how. */
export interface ServiceTarget {
  service: ClusterServiceId;
  via: ServiceVia;
  ip: string;
  port: number;
  kind: ServiceProbeKind;
}

/** The node's targets, and for each Service without any, why. */
export interface ServiceTargets {
  targets: ServiceTarget[];
  unresolved: { service: ClusterServiceId; detail: string }[];
}

/**
 * Whether a Service-translation entry belongs to `ns/name`: kube-proxy names the Service in its
 * iptables comment (`"kube-system/kube-dns:dns cluster IP"`) and in its nftables chain
 * (`service-<hash>-kube-system/kube-dns/udp/dns`).
 */
function isService(e: { entry: string; chain?: string }, ns: string, name: string): boolean {
  const id = `${ns}/${name}`.replace(/[.]/g, '\\.');
  const re = new RegExp(`(^|[\\s"-])${id}([:/\\s"]|$)`);
  return re.test(e.entry) || (e.chain !== undefined && re.test(e.chain));
}

/**
 * Targets of a Service's entries: each ClusterIP port, and each distinct endpoint behind them;
 * and each ClusterIP port kube-proxy holds as having no endpoints.
 */
function targetsOf(
  service: ClusterServiceId,
  entries: readonly ServiceNatEntry[],
  rejected: readonly NoEndpointEntry[],
  kindOf: (e: { port: number; protocol: string }) => ServiceProbeKind | undefined,
): ServiceTarget[] {
  const out: ServiceTarget[] = [];
  const seen = new Set<string>();
  const add = (t: ServiceTarget): void => {
    const key = `${t.via} ${t.ip}:${t.port} ${t.kind}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(t);
  };
  for (const e of entries) {
    const kind = kindOf(e);
    if (!kind) continue;
    add({ service, via: 'cluster-ip', ip: e.ip, port: e.port, kind });
    for (const ep of e.endpoints) add({ service, via: 'endpoint', ip: ep.ip, port: ep.port ?? e.port, kind });
  }
  // A ClusterIP kube-proxy rejects for want of endpoints is probed all the same: its pods get
  // that refusal, and an outage of every CoreDNS pod must read as failing, not as unprobed.
  for (const e of rejected) {
    const kind = kindOf(e);
    if (kind) add({ service, via: 'cluster-ip', ip: e.ip, port: e.port, kind });
  }
  return out;
}

/** The cluster DNS and API server targets this node's Service rules give. */
export function serviceTargets(dp: NodeDatapath): ServiceTargets {
  const { mode, view } = nodeServiceNat(dp, undefined);
  const result: ServiceTargets = { targets: [], unresolved: [] };
  const entries = view ? [...view.entries.values()] : [];
  // DNS is port 53 of kube-dns, the port pods' resolv.conf names; its other ports (CoreDNS's
  // metrics on 9153) are not DNS.
  const kinds: Record<
    ClusterServiceId,
    (e: { port: number; protocol: string }) => ServiceProbeKind | undefined
  > = {
    'kube-dns': (e) =>
      e.port !== 53
        ? undefined
        : e.protocol === 'udp'
          ? 'dns-udp'
          : e.protocol === 'tcp'
            ? 'dns-tcp'
            : undefined,
    kubernetes: (e) => (e.protocol === 'tcp' ? 'tls' : undefined),
  };
  for (const id of Object.keys(CLUSTER_SERVICES) as ClusterServiceId[]) {
    const { namespace, name } = CLUSTER_SERVICES[id];
    const mine = entries.filter((e) => isService(e, namespace, name));
    // The iptables mode names the Service in its no-endpoints rule; the nftables mode's
    // no-endpoint map does not, so there such a Service is named below as not probed.
    const rejected = [...(view?.noEndpoints.values() ?? [])].filter((e) => isService(e, namespace, name));
    const targets = targetsOf(id, mine, rejected, kinds[id]);
    if (targets.length > 0) result.targets.push(...targets);
    else
      result.unresolved.push({
        service: id,
        detail: !view
          ? `not probed: no kube-proxy Service rules on this node (${mode.status === 'none' ? 'neither iptables nor nftables mode' : 'unreadable'})`
          : `not probed: this node's kube-proxy rules hold no ClusterIP for ${namespace}/${name} (or none with endpoints)`,
      });
  }
  return result;
}

/**
 * The targets of one round: every ClusterIP, and at most `perService` endpoints of each Service,
 * rotating with the round and starting where the node's name puts it, so that the agents of a
 * large cluster spread their probes over the CoreDNS pods and API servers instead of each
 * querying all of them every round (5,000 agents and 100 CoreDNS pods would otherwise send a
 * million queries a round). Every endpoint is probed within ceil(n / perService) rounds.
 */
export function targetsThisRound(
  all: readonly ServiceTarget[],
  node: string,
  round: number,
  perService: number,
): ServiceTarget[] {
  const out = all.filter((t) => t.via === 'cluster-ip');
  let seed = 0;
  for (const c of node) seed = (seed * 31 + c.charCodeAt(0)) >>> 0;
  for (const id of Object.keys(CLUSTER_SERVICES) as ClusterServiceId[]) {
    const endpoints = all.filter((t) => t.service === id && t.via === 'endpoint');
    const addresses = [...new Set(endpoints.map((t) => `${t.ip}:${t.port}`))].sort();
    if (addresses.length === 0) continue;
    const take = Math.min(perService, addresses.length);
    const start = (seed + round * take) % addresses.length;
    const chosen = new Set<string>();
    for (let i = 0; i < take; i++) chosen.add(addresses[(start + i) % addresses.length]!);
    out.push(...endpoints.filter((t) => chosen.has(`${t.ip}:${t.port}`)));
  }
  return out;
}
