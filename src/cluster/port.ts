/**
 * The Kubernetes port: the only way netdoctor talks to an API server. Collectors, probes and
 * repairs depend on this interface, so each can run against any implementation (the real
 * client in kube-port.ts, or a recorded one in tests where no cluster can run).
 */

/** The object lists a snapshot is built from, one API list call (paged) each. */
export const LIST_KINDS = [
  'nodes',
  'namespaces',
  'pods',
  'services',
  'endpointSlices',
  'daemonSets',
  'deployments',
  'configMaps',
  'networkPolicies',
  'events',
] as const;
export type ListKind = (typeof LIST_KINDS)[number];

export interface LogRequest {
  namespace: string;
  pod: string;
  container: string;
  previous: boolean;
  tailLines: number;
}

export interface ClusterPort {
  /** What was tried, for error messages: the server URL and context. */
  readonly target: { server: string; context?: string };
  serverVersion(): Promise<string>;
  /**
   * Every object of a kind, in wire JSON form (timestamps as strings). `namespaces` limits a
   * namespaced list to those namespaces (ConfigMaps: only the networking namespaces).
   */
  list(kind: ListKind, opts?: { namespaces?: string[] }): Promise<unknown[]>;
  podLog(req: LogRequest): Promise<string>;
}
