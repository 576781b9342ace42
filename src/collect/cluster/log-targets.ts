import { CNI_ADAPTERS } from '../../cni/index.ts';
import type { K8sPod } from '../../core/cluster-types.ts';

export interface LogTarget {
  namespace: string;
  pod: string;
  container: string;
  previous: boolean;
}

/** Labels of the pods whose logs explain a network failure: DNS, proxy and CNI agents. */
const SYSTEM_POD_LABELS: (readonly [string, string])[] = [
  ['k8s-app', 'kube-dns'],
  ['k8s-app', 'kube-proxy'],
  ...CNI_ADAPTERS.flatMap((a) => a.agent.podLabels),
];

function isSystemNetworkingPod(p: K8sPod): boolean {
  const labels = p.metadata.labels ?? {};
  return SYSTEM_POD_LABELS.some(([k, v]) => labels[k] === v);
}

function isUnhealthy(p: K8sPod): boolean {
  if (p.status.phase === 'Succeeded') return false;
  return (p.status.containerStatuses ?? []).some((c) => !c.ready || c.restartCount > 0);
}

/**
 * The containers whose logs are read: every networking system pod, and up to `maxUnhealthy`
 * other unhealthy pods (a log call per pod of a 150,000-pod cluster would take hours). The
 * previous container's log is read wherever a container has restarted.
 */
export function logsWorthCollecting(pods: K8sPod[], maxUnhealthy: number): LogTarget[] {
  const out: LogTarget[] = [];
  let unhealthy = 0;
  for (const p of pods) {
    const system = isSystemNetworkingPod(p);
    if (!system) {
      if (!isUnhealthy(p) || unhealthy >= maxUnhealthy) continue;
      unhealthy++;
    }
    const ns = p.metadata.namespace ?? 'default';
    for (const c of p.spec.containers) {
      const status = p.status.containerStatuses?.find((s) => s.name === c.name);
      // A container that never started (Pending, ContainerCreating, PodInitializing) has no log
      // yet; asking for one only earns an HTTP 400.
      if (status?.state?.running || status?.state?.terminated) {
        out.push({ namespace: ns, pod: p.metadata.name, container: c.name, previous: false });
      }
      if ((status?.restartCount ?? 0) > 0)
        out.push({ namespace: ns, pod: p.metadata.name, container: c.name, previous: true });
    }
  }
  return out;
}

/**
 * The cluster DNS servers' current logs. They are read again once the probes have run: the
 * probes' own lookups are the freshest evidence of an upstream that does not answer, and the
 * server logs a failed forward only after its own timeout, so a log read before the probes
 * misses it.
 */
export function dnsServerLogTargets(pods: K8sPod[]): LogTarget[] {
  return logsWorthCollecting(
    pods.filter((p) => p.metadata.labels?.['k8s-app'] === 'kube-dns'),
    0,
  ).filter((t) => !t.previous);
}
