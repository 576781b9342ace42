import type { K8sPod, K8sService, ServicePort } from '../core/cluster-types.ts';
import { mapSelectorMatches } from '../core/labels.ts';
import type { Protocol } from './flow-types.ts';
import { type Party, podParty } from './party.ts';
import type { PolicyIndex } from './policy-index.ts';
import { namedPortNumbers } from './port-match.ts';

/** A backend the Service forwards to, and the port the packet arrives on after DNAT. */
export interface ServiceBackend {
  party: Party;
  targetPort: number;
}

export type ServiceResolution =
  | { ok: true; servicePort: ServicePort; backends: ServiceBackend[]; notes: string[] }
  | { ok: false; reason: string };

function isServing(p: K8sPod): boolean {
  return p.status.phase !== 'Succeeded' && p.status.phase !== 'Failed';
}

/**
 * Resolutions by index, Service and port: the DNS-egress lint asks for kube-dns's backends once
 * per group of pods in every namespace, and each answer scans the Service's namespace (on a
 * large cluster, kube-system holds a few pods per node). The index never changes once built.
 */
const resolved = new WeakMap<PolicyIndex, WeakMap<K8sService, Map<string, ServiceResolution>>>();

/**
 * The pods behind a Service port. NetworkPolicy sees the packet after kube-proxy's DNAT, so the
 * flow is judged against each backend pod at its targetPort (a named targetPort resolved per
 * pod, which may differ between pods). Selector-less Services use their EndpointSlices. The
 * answer is shared by every caller asking the same: it must not be changed.
 */
export function resolveServiceBackends(
  index: PolicyIndex,
  svc: K8sService,
  port: number,
  protocol: Protocol,
): ServiceResolution {
  let bySvc = resolved.get(index);
  if (!bySvc) {
    bySvc = new WeakMap();
    resolved.set(index, bySvc);
  }
  let byPort = bySvc.get(svc);
  if (!byPort) {
    byPort = new Map();
    bySvc.set(svc, byPort);
  }
  const key = `${port}/${protocol}`;
  let r = byPort.get(key);
  if (!r) {
    r = resolve(index, svc, port, protocol);
    byPort.set(key, r);
  }
  return r;
}

function resolve(index: PolicyIndex, svc: K8sService, port: number, protocol: Protocol): ServiceResolution {
  const ns = svc.metadata.namespace ?? 'default';
  const key = `${ns}/${svc.metadata.name}`;
  const sp = (svc.spec.ports ?? []).find((p) => p.port === port && (p.protocol ?? 'TCP') === protocol);
  if (!sp) {
    const have = (svc.spec.ports ?? []).map((p) => `${p.port}/${p.protocol ?? 'TCP'}`).join(', ') || 'none';
    return { ok: false, reason: `Service ${key} has no port ${port}/${protocol} (ports: ${have})` };
  }
  const notes: string[] = [];
  const parties: Party[] = [];
  if (svc.spec.selector && Object.keys(svc.spec.selector).length > 0) {
    for (const p of index.podsByNamespace.get(ns) ?? []) {
      if (isServing(p) && mapSelectorMatches(svc.spec.selector, p.metadata.labels)) parties.push(podParty(p));
    }
  } else {
    const seen = new Set<string>();
    for (const sl of index.slicesByService.get(key) ?? []) {
      for (const ep of sl.endpoints ?? []) {
        const ref = ep.targetRef;
        const pod =
          ref?.kind === 'Pod' ? index.podByKey.get(`${ref.namespace ?? ns}/${ref.name}`) : undefined;
        for (const ip of ep.addresses) {
          if (seen.has(ip)) continue;
          seen.add(ip);
          const byIp = pod ?? index.podByIp.get(ip);
          parties.push(byIp ? podParty(byIp) : { kind: 'ip', ip });
        }
      }
    }
  }
  const backends: ServiceBackend[] = [];
  for (const party of parties) {
    const tp = sp.targetPort;
    if (tp === undefined || typeof tp === 'number') {
      backends.push({ party, targetPort: tp ?? sp.port });
      continue;
    }
    if (/^\d+$/.test(tp)) {
      backends.push({ party, targetPort: Number(tp) });
      continue;
    }
    const nums = party.kind === 'pod' ? namedPortNumbers(party.pod, tp, protocol) : [];
    if (nums[0] === undefined) {
      const who = party.kind === 'pod' ? `${party.namespace}/${party.pod.metadata.name}` : party.ip;
      notes.push(
        `backend ${who} declares no container port named ${tp}/${protocol}; it cannot serve this port`,
      );
      continue;
    }
    backends.push({ party, targetPort: nums[0] });
  }
  return { ok: true, servicePort: sp, backends, notes };
}
