/**
 * Policies and an in-memory NetworkPolicy API for the emergency bypass tests. The port keeps
 * objects as an API server would (server fields added on create, 409 on a duplicate, delete of
 * an absent object fine); no API server runs in phase 1, the live test covers the real one.
 */
import type { RepairPort } from '../../src/cluster/port.ts';
import type { WirePolicy } from '../../src/remediate/emergency/policy-canon.ts';

export const SERVER = 'https://10.0.0.1:6443';

export function denyAll(ns: string): WirePolicy {
  return {
    metadata: {
      name: 'deny-all',
      namespace: ns,
      uid: 'u-1',
      resourceVersion: '101',
      creationTimestamp: '2026-12-05T10:00:00Z',
      labels: { team: 'payments' },
      annotations: {
        'kubectl.kubernetes.io/last-applied-configuration': '{"kind":"NetworkPolicy"}',
      },
    },
    spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
  };
}

export function allowWeb(ns: string): WirePolicy {
  return {
    metadata: { name: 'allow-web', namespace: ns, uid: 'u-2', resourceVersion: '102' },
    spec: {
      podSelector: { matchLabels: { app: 'web' } },
      policyTypes: ['Ingress'],
      ingress: [
        {
          from: [{ podSelector: { matchLabels: { role: 'friend' } } }],
          ports: [{ protocol: 'TCP', port: 8080 }],
        },
      ],
    },
  };
}

export interface MemoryPort extends RepairPort {
  policies: Map<string, Map<string, WirePolicy>>;
  calls: string[];
}

/** An API of namespaces and NetworkPolicies in memory; any other call rejects. */
export function memoryPort(namespaces: Record<string, WirePolicy[]>): MemoryPort {
  let rv = 1000;
  const policies = new Map(
    Object.entries(namespaces).map(([ns, ps]) => [
      ns,
      new Map(ps.map((p) => [p.metadata.name, structuredClone(p)] as const)),
    ]),
  );
  const calls: string[] = [];
  const impl: Partial<MemoryPort> & { policies: typeof policies; calls: string[] } = {
    target: { server: SERVER },
    policies,
    calls,
    async list(kind, opts) {
      if (kind === 'namespaces')
        return [...policies.keys(), 'default'].map((name) => ({ metadata: { name } }));
      if (kind !== 'networkPolicies') throw new Error(`unexpected list ${kind}`);
      return (opts?.namespaces ?? [...policies.keys()]).flatMap((ns) =>
        [...(policies.get(ns)?.values() ?? [])].map((p) => structuredClone(p)),
      );
    },
    async readObject(_kind, ns, name) {
      const p = policies.get(ns)?.get(name);
      return p ? structuredClone(p) : undefined;
    },
    async createObject(_kind, ns, body) {
      const b = structuredClone(body) as WirePolicy;
      calls.push(`create ${ns}/${b.metadata.name}`);
      const inNs = policies.get(ns);
      if (!inNs) throw new Error(`HTTP 404: namespace ${ns} not found`);
      if (inNs.has(b.metadata.name)) throw Object.assign(new Error('HTTP 409: exists'), { code: 409 });
      const { apiVersion: _a, kind: _k, ...rest } = b;
      const stored: WirePolicy = {
        ...rest,
        metadata: { ...b.metadata, uid: `u-${++rv}`, resourceVersion: String(rv), creationTimestamp: 'now' },
      };
      inNs.set(b.metadata.name, stored);
      return structuredClone(stored);
    },
    async deleteObject(_kind, ns, name) {
      calls.push(`delete ${ns}/${name}`);
      policies.get(ns)?.delete(name);
    },
  };
  return new Proxy(impl as MemoryPort, {
    get(t, prop) {
      const v = Reflect.get(t, prop);
      if (v !== undefined || typeof prop === 'symbol') return v;
      return () => Promise.reject(new Error(`unexpected Kubernetes API call ${String(prop)}`));
    },
  });
}
