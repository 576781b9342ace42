import type { K8sPod, NetworkPolicyPort } from '../core/cluster-types.ts';
import type { Protocol } from './flow-types.ts';

/** The container port numbers a pod declares under `name` for `protocol`. */
export function namedPortNumbers(pod: K8sPod, name: string, protocol: Protocol): number[] {
  const out: number[] = [];
  for (const c of pod.spec.containers) {
    for (const cp of c.ports ?? []) {
      if (cp.name === name && (cp.protocol ?? 'TCP') === protocol) out.push(cp.containerPort);
    }
  }
  return out;
}

/**
 * One NetworkPolicyPort against a flow. Protocol defaults to TCP; no port means every port of
 * that protocol; endPort makes a range (numeric ports only, as the API validates); a named
 * port is resolved against `namedPortPod`'s container ports (the destination pod's, in both
 * directions) and never matches an address that is not a known pod.
 */
export function portMatches(
  spec: NetworkPolicyPort,
  port: number,
  protocol: Protocol,
  namedPortPod: K8sPod | undefined,
): boolean {
  if ((spec.protocol ?? 'TCP') !== protocol) return false;
  if (spec.port === undefined) return true;
  if (typeof spec.port === 'number') {
    if (spec.endPort !== undefined) return port >= spec.port && port <= spec.endPort;
    return port === spec.port;
  }
  if (!namedPortPod) return false;
  return namedPortNumbers(namedPortPod, spec.port, protocol).includes(port);
}

/** `8080/TCP`, `8000-8999/TCP`, `http/TCP`, `*\/UDP`. */
export function describePort(spec: NetworkPolicyPort): string {
  const proto = spec.protocol ?? 'TCP';
  if (spec.port === undefined) return `*/${proto}`;
  if (typeof spec.port === 'number' && spec.endPort !== undefined)
    return `${spec.port}-${spec.endPort}/${proto}`;
  return `${spec.port}/${proto}`;
}
