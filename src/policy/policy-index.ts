import type { K8sEndpointSlice, K8sPod, K8sService } from '../core/cluster-types.ts';
import { selectorMatches } from '../core/labels.ts';
import type { Snapshot } from '../core/model.ts';
import type { Direction } from './flow-types.ts';
import { type NormalizedPolicy, normalizePolicy } from './normalize-policy.ts';

/** The label every namespace carries since Kubernetes 1.21 (set by the API server). */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/**
 * Everything evaluation looks up, built once per snapshot so a query touches only the
 * policies of two namespaces and never scans all pods.
 */
export interface PolicyIndex {
  snapshot: Snapshot;
  policies: NormalizedPolicy[];
  policiesByNamespace: Map<string, NormalizedPolicy[]>;
  /** Namespace name -> its labels, with kubernetes.io/metadata.name always present. */
  namespaceLabels: Map<string, Record<string, string>>;
  namespaces: string[];
  /**
   * Namespaces being deleted (`deletionTimestamp` set): their pods and policies are on their way
   * out, so what they block is no fault to report.
   */
  terminatingNamespaces: ReadonlySet<string>;
  podsByNamespace: Map<string, K8sPod[]>;
  /** `ns/name` -> pod. */
  podByKey: Map<string, K8sPod>;
  /** Pod-network IP -> pod (hostNetwork pods share their node's IP and are not listed). */
  podByIp: Map<string, K8sPod>;
  /** `key=value` -> pods carrying that label, all namespaces. */
  podsByLabel: Map<string, K8sPod[]>;
  /** Namespace -> `key=value` -> pods, so a selector scoped to one namespace never scans the others. */
  podsByNamespaceLabel: Map<string, Map<string, K8sPod[]>>;
  /** `ns/name` -> Service. */
  serviceByKey: Map<string, K8sService>;
  serviceByClusterIp: Map<string, K8sService>;
  slicesByService: Map<string, K8sEndpointSlice[]>;
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}

export function podNamespace(p: K8sPod): string {
  return p.metadata.namespace ?? 'default';
}

export function podKeyOf(p: K8sPod): string {
  return `${podNamespace(p)}/${p.metadata.name}`;
}

/** Builds the index in one pass over each list. */
export function buildPolicyIndex(snapshot: Snapshot): PolicyIndex {
  const c = snapshot.cluster;
  const namespaceLabels = new Map<string, Record<string, string>>();
  const terminatingNamespaces = new Set<string>();
  for (const ns of c.namespaces) {
    const name = ns.metadata.name;
    namespaceLabels.set(name, { ...ns.metadata.labels, [NAMESPACE_NAME_LABEL]: name });
    if (ns.metadata.deletionTimestamp !== undefined) terminatingNamespaces.add(name);
  }
  const podsByNamespace = new Map<string, K8sPod[]>();
  const podByKey = new Map<string, K8sPod>();
  const podByIp = new Map<string, K8sPod>();
  const podsByLabel = new Map<string, K8sPod[]>();
  const podsByNamespaceLabel = new Map<string, Map<string, K8sPod[]>>();
  for (const p of c.pods) {
    const ns = podNamespace(p);
    push(podsByNamespace, ns, p);
    podByKey.set(`${ns}/${p.metadata.name}`, p);
    if (!p.spec.hostNetwork) {
      if (p.status.podIP) podByIp.set(p.status.podIP, p);
      for (const { ip } of p.status.podIPs ?? []) podByIp.set(ip, p);
    }
    const labels = p.metadata.labels;
    if (labels) {
      let nsLabels = podsByNamespaceLabel.get(ns);
      if (!nsLabels) {
        nsLabels = new Map();
        podsByNamespaceLabel.set(ns, nsLabels);
      }
      for (const k in labels) {
        const kv = `${k}=${labels[k]}`;
        push(podsByLabel, kv, p);
        push(nsLabels, kv, p);
      }
    }
    // A bundle may lack the namespace list (forbidden); the name label is still known.
    if (!namespaceLabels.has(ns)) namespaceLabels.set(ns, { [NAMESPACE_NAME_LABEL]: ns });
  }
  const policies = c.networkPolicies.map(normalizePolicy);
  const policiesByNamespace = new Map<string, NormalizedPolicy[]>();
  for (const p of policies) {
    push(policiesByNamespace, p.ref.namespace, p);
    if (!namespaceLabels.has(p.ref.namespace)) {
      namespaceLabels.set(p.ref.namespace, { [NAMESPACE_NAME_LABEL]: p.ref.namespace });
    }
  }
  const serviceByKey = new Map<string, K8sService>();
  const serviceByClusterIp = new Map<string, K8sService>();
  for (const s of c.services) {
    serviceByKey.set(`${s.metadata.namespace ?? 'default'}/${s.metadata.name}`, s);
    for (const ip of [s.spec.clusterIP, ...(s.spec.clusterIPs ?? [])]) {
      if (ip && ip !== 'None') serviceByClusterIp.set(ip, s);
    }
  }
  const slicesByService = new Map<string, K8sEndpointSlice[]>();
  for (const sl of c.endpointSlices) {
    const svc = sl.metadata.labels?.['kubernetes.io/service-name'];
    if (svc) push(slicesByService, `${sl.metadata.namespace ?? 'default'}/${svc}`, sl);
  }
  return {
    snapshot,
    policies,
    policiesByNamespace,
    namespaceLabels,
    namespaces: [...namespaceLabels.keys()].sort(),
    terminatingNamespaces,
    podsByNamespace,
    podByKey,
    podByIp,
    podsByLabel,
    podsByNamespaceLabel,
    serviceByKey,
    serviceByClusterIp,
    slicesByService,
  };
}

const CACHE = new WeakMap<Snapshot, PolicyIndex>();

/** The index of a snapshot, built at most once: the three policy rules share it. */
export function policyIndexFor(snapshot: Snapshot): PolicyIndex {
  let idx = CACHE.get(snapshot);
  if (!idx) {
    idx = buildPolicyIndex(snapshot);
    CACHE.set(snapshot, idx);
  }
  return idx;
}

/**
 * The policies that isolate `pod` for `direction`: those in its namespace whose podSelector
 * selects it and whose effective policyTypes include the direction. Policies never apply to
 * hostNetwork pods here (see explain notes), so they get none.
 */
export function isolatingPolicies(index: PolicyIndex, pod: K8sPod, direction: Direction): NormalizedPolicy[] {
  if (pod.spec.hostNetwork) return [];
  const out: NormalizedPolicy[] = [];
  for (const p of index.policiesByNamespace.get(podNamespace(pod)) ?? []) {
    if (p.affects[direction] && selectorMatches(p.podSelector, pod.metadata.labels)) out.push(p);
  }
  return out;
}

export function namespaceLabelsOf(index: PolicyIndex, ns: string): Record<string, string> {
  return index.namespaceLabels.get(ns) ?? { [NAMESPACE_NAME_LABEL]: ns };
}
