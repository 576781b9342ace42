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
  /**
   * Prefix every line with the kubelet's RFC 3339 receive time (as `kubectl logs --timestamps`),
   * so analysis can weigh recent lines over ones left from an outage already over.
   */
  timestamps?: boolean;
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

  // Verbs for netdoctor's own short-lived objects (node agents, probe pods and their Service).
  // Everything created carries the labels of owned-labels.ts so `netdoctor cleanup` finds it.
  createPod(namespace: string, pod: object): Promise<void>;
  /** The pod in wire JSON, or undefined when it does not exist. */
  readPod(namespace: string, name: string): Promise<unknown | undefined>;
  listPods(namespace: string | undefined, labelSelector: string): Promise<unknown[]>;
  /**
   * Deletes a pod, at once (grace period 0) unless `graceSeconds` says otherwise; absent is
   * fine. netdoctor's own pods go at once; a workload's pod a repair recreates gets its grace.
   */
  deletePod(namespace: string, name: string, opts?: { graceSeconds?: number }): Promise<void>;
  createService(namespace: string, service: object): Promise<unknown>;
  listServices(namespace: string | undefined, labelSelector: string): Promise<unknown[]>;
  deleteService(namespace: string, name: string): Promise<void>;
}

/** Kinds the repair verbs read, patch, create or delete (a Service: only its selector, with consent). */
export type RepairKind = 'DaemonSet' | 'Deployment' | 'ConfigMap' | 'NetworkPolicy' | 'Service';

/** How a patch body is interpreted by the API server. */
export type PatchType = 'strategic' | 'merge';

/**
 * Verbs for `netdoctor fix` (remediate/): read, patch, create and delete the few kinds a repair
 * step changes. Separate from ClusterPort so read-only users (collectors, probes) need not
 * implement them; KubePort implements both.
 */
export interface RepairPort extends ClusterPort {
  /** The object in wire JSON, or undefined when it does not exist. */
  readObject(kind: RepairKind, namespace: string, name: string): Promise<unknown | undefined>;
  /** Patches and returns the object after the change. */
  patchObject(
    kind: Exclude<RepairKind, 'NetworkPolicy'>,
    namespace: string,
    name: string,
    patch: object,
    type: PatchType,
  ): Promise<unknown>;
  /** Creates the object (a DaemonSet from a manifest, an emergency NetworkPolicy). */
  createObject(kind: 'DaemonSet' | 'NetworkPolicy', namespace: string, body: object): Promise<unknown>;
  /**
   * Deletes the object; absent is fine. Only for objects a repair itself created, and for a
   * NetworkPolicy `fix --revert` re-creates from its exact backup (the port has no replace).
   */
  deleteObject(kind: 'DaemonSet' | 'NetworkPolicy', namespace: string, name: string): Promise<void>;
}
