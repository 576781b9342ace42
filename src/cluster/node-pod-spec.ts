/**
 * The manifest of a pod netdoctor runs on one node: pinned there with nodeName (no scheduler,
 * so a node that takes no new workload still gets it), tolerating every taint, with the owned
 * labels `netdoctor cleanup` finds it by, no service account token, no grace period, and the
 * node's namespaces or privileges only when the caller asks. Pure: builds the object, creates
 * nothing.
 */
import { literalCommand } from './literal-command.ts';
import { type OwnedRole, ownedLabels } from './owned-labels.ts';

/** A pod's name; branded so a node name cannot stand in for it where both are strings. */
export type PodName = string & { readonly __brand: 'PodName' };

/** Marks `name` as a pod name (callers build it with namePart or their own DNS-label rule). */
export function podName(name: string): PodName {
  return name as PodName;
}

/** The one container of a node pod. */
export interface NodePodContainer {
  name: string;
  image: string;
  /** Absent: the API server's default (IfNotPresent for a tagged image, Always for :latest). */
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  /** argv as written; `$` is protected from the kubelet's expansion (literal-command.ts). */
  argv: readonly string[];
  env?: Readonly<Record<string, string>>;
  ports?: readonly { name: string; containerPort: number; protocol: 'TCP' | 'UDP' }[];
  readinessProbe?: object;
  resources?: object;
}

/** What a caller asks of the node: its network and PID namespaces, privileges, its `/`. */
export interface NodeAccessRequest {
  hostNetwork?: boolean;
  /** With hostNetwork: resolve names through cluster DNS rather than the node's resolv.conf. */
  clusterDns?: boolean;
  hostPID?: boolean;
  privileged?: boolean;
  /** Mount the node's `/` read-only at this path in the container. */
  hostRoot?: string;
}

export interface NodePodSpec {
  name: PodName;
  node: string;
  /** The owned labels' run and role; `labels` adds to them, never replaces them. */
  runId: string;
  role: OwnedRole;
  labels?: Readonly<Record<string, string>>;
  container: NodePodContainer;
  access?: NodeAccessRequest;
  /** Default `Never`: a pod that ended is an answer, not something to restart. */
  restartPolicy?: 'Never' | 'Always';
  /** The kubelet ends the pod after this long even if netdoctor is gone. */
  activeDeadlineSeconds?: number;
}

/** The Pod object for `spec` in `namespace`. */
export function nodePodManifest(spec: NodePodSpec, namespace: string): object {
  const a = spec.access ?? {};
  const c = spec.container;
  const mounts = a.hostRoot ? [{ name: 'host', mountPath: a.hostRoot, readOnly: true }] : undefined;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: spec.name,
      namespace,
      labels: { ...spec.labels, ...ownedLabels(spec.runId, spec.role) },
    },
    spec: {
      nodeName: spec.node,
      tolerations: [{ operator: 'Exists' }],
      ...(a.hostNetwork ? { hostNetwork: true } : {}),
      ...(a.hostPID ? { hostPID: true } : {}),
      ...(a.hostNetwork && a.clusterDns ? { dnsPolicy: 'ClusterFirstWithHostNet' } : {}),
      restartPolicy: spec.restartPolicy ?? 'Never',
      ...(spec.activeDeadlineSeconds === undefined
        ? {}
        : { activeDeadlineSeconds: Math.max(1, Math.ceil(spec.activeDeadlineSeconds)) }),
      terminationGracePeriodSeconds: 0,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      containers: [
        {
          name: c.name,
          image: c.image,
          ...(c.imagePullPolicy ? { imagePullPolicy: c.imagePullPolicy } : {}),
          command: literalCommand([...c.argv]),
          ...(c.env ? { env: Object.entries(c.env).map(([name, value]) => ({ name, value })) } : {}),
          ...(c.ports ? { ports: c.ports.map((p) => ({ ...p })) } : {}),
          ...(c.readinessProbe ? { readinessProbe: c.readinessProbe } : {}),
          ...(a.privileged ? { securityContext: { privileged: true } } : {}),
          ...(c.resources ? { resources: c.resources } : {}),
          ...(mounts ? { volumeMounts: mounts } : {}),
        },
      ],
      ...(a.hostRoot ? { volumes: [{ name: 'host', hostPath: { path: '/', type: 'Directory' } }] } : {}),
    },
  };
}
