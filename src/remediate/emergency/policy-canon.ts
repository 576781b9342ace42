/**
 * NetworkPolicies as the emergency bypass backs them up and restores them: the exact wire
 * object as read from the API, its canonical form for the byte-for-byte comparison, and the
 * body that re-creates it.
 */

/** A NetworkPolicy in wire JSON, as the API (KubePort.list) returns it. */
export interface WirePolicy {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: unknown[];
    [field: string]: unknown;
  };
  spec: Record<string, unknown>;
  [field: string]: unknown;
}

const isRecord = (x: unknown): x is Record<string, unknown> =>
  typeof x === 'object' && x !== null && !Array.isArray(x);

const isStringMap = (x: unknown): boolean =>
  x === undefined || (isRecord(x) && Object.values(x).every((v) => typeof v === 'string'));

/** The value as a NetworkPolicy in wire form, or what is wrong with it (read from a file or the API). */
export function asWirePolicy(x: unknown): WirePolicy | { error: string } {
  if (!isRecord(x)) return { error: 'not a JSON object' };
  const meta = x['metadata'];
  if (!isRecord(meta) || typeof meta['name'] !== 'string' || meta['name'] === '')
    return { error: 'no metadata.name' };
  if (!isStringMap(meta['labels'])) return { error: 'metadata.labels is not a map of strings' };
  if (!isStringMap(meta['annotations'])) return { error: 'metadata.annotations is not a map of strings' };
  if (!isRecord(x['spec'])) return { error: 'no spec' };
  return x as WirePolicy;
}

/** JSON with object keys sorted at every level; arrays keep their order (it is part of the object). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isRecord(value)) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .filter((k) => value[k] !== undefined)
      .map((k) => [k, sortKeys(value[k])]),
  );
}

/**
 * What "the same policy" means for the restore: name, labels, annotations and spec, as
 * canonical JSON. Server-managed fields (uid, resourceVersion, timestamps, managedFields) are
 * left out: a re-created policy gets new ones, and none of them changes what traffic passes.
 * Absent labels or annotations read as empty, the API's own equivalence (it omits empty maps).
 */
export function canonicalPolicy(p: WirePolicy): string {
  return canonicalJson({
    name: p.metadata.name,
    labels: p.metadata.labels ?? {},
    annotations: p.metadata.annotations ?? {},
    spec: p.spec,
  });
}

/** Which of name, labels, annotations and spec differ between two policies (empty: equal). */
export function policyDifferences(want: WirePolicy, got: WirePolicy): string[] {
  const parts: [string, unknown, unknown][] = [
    ['name', want.metadata.name, got.metadata.name],
    ['labels', want.metadata.labels ?? {}, got.metadata.labels ?? {}],
    ['annotations', want.metadata.annotations ?? {}, got.metadata.annotations ?? {}],
    ['spec', want.spec, got.spec],
  ];
  return parts.filter(([, a, b]) => canonicalJson(a) !== canonicalJson(b)).map(([what]) => what);
}

/**
 * The body that re-creates a backed-up policy: its name, namespace, labels, annotations (the
 * last-applied one included: it is part of what is compared) and owner references, and its
 * spec exactly; server-managed metadata is the API server's to set again.
 */
export function restorableBody(p: WirePolicy, namespace: string): WirePolicy {
  const m = p.metadata;
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: {
      name: m.name,
      namespace,
      ...(m.labels ? { labels: { ...m.labels } } : {}),
      ...(m.annotations ? { annotations: { ...m.annotations } } : {}),
      ...(m.ownerReferences ? { ownerReferences: structuredClone(m.ownerReferences) } : {}),
    },
    spec: structuredClone(p.spec),
  };
}
