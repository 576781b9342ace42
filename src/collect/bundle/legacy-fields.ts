/**
 * Bundles written before netdoctor converted client objects with the client's own serializer
 * carry NetworkPolicies with the client library's property names (`_from` for an ingress rule's
 * peers, `_except` in an ipBlock) instead of the API's. Read as they are, every ingress rule of
 * such a bundle would lose its peers and allow every source; renamed here, they mean what the
 * cluster enforced.
 */

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function renamed(o: Json, from: string, to: string): void {
  if (from in o && !(to in o)) {
    o[to] = o[from];
    delete o[from];
  }
}

function peers(list: unknown): void {
  if (!Array.isArray(list)) return;
  for (const peer of list) {
    if (isObject(peer) && isObject(peer['ipBlock'])) renamed(peer['ipBlock'], '_except', 'except');
  }
}

/** The policy with API field names, changed in place (a no-op for current bundles). */
export function withApiFieldNames(policy: unknown): unknown {
  if (!isObject(policy) || !isObject(policy['spec'])) return policy;
  const spec = policy['spec'];
  for (const rule of Array.isArray(spec['ingress']) ? spec['ingress'] : []) {
    if (!isObject(rule)) continue;
    renamed(rule, '_from', 'from');
    peers(rule['from']);
  }
  for (const rule of Array.isArray(spec['egress']) ? spec['egress'] : []) {
    if (isObject(rule)) peers(rule['to']);
  }
  return policy;
}
