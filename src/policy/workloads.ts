import type { K8sPod } from '../core/cluster-types.ts';
import { podNamespace } from './policy-index.ts';

/** Pods that run the same thing, so the matrix has one row per app rather than per replica. */
export interface Workload {
  /** `ns/name`. */
  id: string;
  namespace: string;
  name: string;
  pods: K8sPod[];
}

const NAME_LABELS = ['app.kubernetes.io/name', 'app', 'k8s-app', 'name'] as const;

/** The workload name of a pod: its app label, else its owner (ReplicaSet hash stripped), else itself. */
export function workloadName(p: K8sPod): string {
  const labels = p.metadata.labels ?? {};
  for (const k of NAME_LABELS) {
    const v = labels[k];
    if (v) return v;
  }
  const owner = p.metadata.ownerReferences?.[0];
  if (owner) {
    const hash = labels['pod-template-hash'];
    if (owner.kind === 'ReplicaSet' && hash && owner.name.endsWith(`-${hash}`)) {
      return owner.name.slice(0, -hash.length - 1);
    }
    return owner.name;
  }
  return p.metadata.name;
}

/**
 * Groups pods into workloads, sorted by id. hostNetwork pods are left out: policies do not
 * apply to them, so they would only add rows of "allowed".
 */
export function groupWorkloads(pods: Iterable<K8sPod>): Workload[] {
  const by = new Map<string, Workload>();
  for (const p of pods) {
    if (p.spec.hostNetwork || p.status.phase === 'Succeeded' || p.status.phase === 'Failed') continue;
    const namespace = podNamespace(p);
    const name = workloadName(p);
    const id = `${namespace}/${name}`;
    const w = by.get(id);
    if (w) w.pods.push(p);
    else by.set(id, { id, namespace, name, pods: [p] });
  }
  return [...by.values()].sort((a, b) => a.id.localeCompare(b.id));
}
