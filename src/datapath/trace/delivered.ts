/** The delivered hop: the destination address belongs to a running pod (or is the node itself). */
import { CLUSTER_FILES } from '../../collect/bundle/layout.ts';
import type { K8sPod } from '../../core/cluster-types.ts';
import type { Evidence } from '../../core/model.ts';
import type { Walk } from './walk.ts';

/** The packet reaches its destination on `node`, if a running pod there has the address. */
export function deliveredHop(w: Walk, node: string, pod: K8sPod | undefined, hostNetwork: boolean): void {
  const ip = w.dst;
  const base = {
    kind: 'delivered' as const,
    node,
    ip,
    ...(w.port !== undefined ? { port: w.port } : {}),
  };
  if (hostNetwork) {
    w.add({ ...base, status: 'ok', summary: `delivered to ${node} itself (${ip})`, evidence: [] });
    return;
  }
  if (!pod) {
    w.add({
      ...base,
      status: 'broken',
      summary: `no pod has ${ip}`,
      reason: `no pod on ${node} has ${ip}: the address is stale (a deleted pod, or an endpoint kube-proxy has not updated)`,
      evidence: [{ source: CLUSTER_FILES.pods, observed: `no pod with podIP ${ip}` }],
    });
    return;
  }
  const key = podKeyOf(pod);
  const ev: Evidence = {
    source: `${CLUSTER_FILES.pods}#${key}`,
    observed: `podIP=${pod.status.podIP} nodeName=${pod.spec.nodeName ?? ''} phase=${pod.status.phase ?? '?'}`,
  };
  if (pod.status.phase && pod.status.phase !== 'Running') {
    w.add({
      ...base,
      pod: key,
      status: 'broken',
      summary: `${key} is ${pod.status.phase}`,
      reason: `${key} (${ip}) is ${pod.status.phase}, not Running`,
      evidence: [ev],
    });
    return;
  }
  w.add({
    ...base,
    pod: key,
    status: 'ok',
    summary: `delivered to ${key} (${ip}${w.port !== undefined ? `:${w.port}/${w.protocol}` : ''}) on ${node}`,
    evidence: [ev],
  });
}

/** `namespace/name`, as the trace names pods. */
export function podKeyOf(p: K8sPod): string {
  return `${p.metadata.namespace ?? 'default'}/${p.metadata.name}`;
}
