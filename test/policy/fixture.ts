/**
 * A small snapshot builder for policy tests: namespaces, pods, Services and policies in a few
 * lines each, everything else empty.
 */
import type {
  ContainerPort,
  K8sNamespace,
  K8sNetworkPolicy,
  K8sPod,
  K8sService,
  ServicePort,
} from '../../src/core/cluster-types.ts';
import { emptyClusterState } from '../../src/core/cluster-types.ts';
import type { Snapshot } from '../../src/core/model.ts';
import type { ProbeResult } from '../../src/core/probe-types.ts';

export function ns(name: string, labels: Record<string, string> = {}): K8sNamespace {
  return { metadata: { name, labels } };
}

let autoIp = 0;
export interface PodOptions {
  ip?: string;
  ports?: ContainerPort[];
  hostNetwork?: boolean;
  node?: string;
  hostIP?: string;
  phase?: K8sPod['status']['phase'];
}
export function pod(
  namespace: string,
  name: string,
  labels: Record<string, string> = {},
  o: PodOptions = {},
): K8sPod {
  autoIp += 1;
  const hostIP = o.hostIP ?? '192.168.0.10';
  const ip = o.hostNetwork
    ? hostIP
    : (o.ip ?? `10.244.${Math.floor(autoIp / 250) % 250}.${(autoIp % 250) + 2}`);
  const p: K8sPod = {
    metadata: { name, namespace, labels },
    spec: { nodeName: o.node ?? 'node-1', containers: [{ name: 'main', ports: o.ports ?? [] }] },
    status: { phase: o.phase ?? 'Running', podIP: ip, hostIP },
  };
  if (o.hostNetwork) p.spec.hostNetwork = true;
  return p;
}

export function policy(namespace: string, name: string, spec: K8sNetworkPolicy['spec']): K8sNetworkPolicy {
  return { metadata: { name, namespace }, spec };
}

export function svc(
  namespace: string,
  name: string,
  selector: Record<string, string>,
  ports: ServicePort[],
  clusterIP = '10.96.100.1',
): K8sService {
  return { metadata: { name, namespace }, spec: { type: 'ClusterIP', clusterIP, selector, ports } };
}

export function snapshot(parts: {
  namespaces?: K8sNamespace[];
  pods?: K8sPod[];
  services?: K8sService[];
  policies?: K8sNetworkPolicy[];
  probes?: ProbeResult[];
}): Snapshot {
  const cluster = emptyClusterState();
  cluster.namespaces = parts.namespaces ?? [];
  cluster.pods = parts.pods ?? [];
  cluster.services = parts.services ?? [];
  cluster.networkPolicies = parts.policies ?? [];
  const s: Snapshot = {
    meta: { createdAt: '2025-01-01T00:00:00Z', source: 'synthetic', netdoctorVersion: 'test' },
    cluster,
    nodes: {},
    gaps: [],
  };
  if (parts.probes) s.probes = { startedAt: '2025-01-01T00:00:00Z', durationMs: 1, results: parts.probes };
  return s;
}
