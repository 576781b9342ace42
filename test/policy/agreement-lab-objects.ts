/**
 * The agreement suite as real Kubernetes objects for the lab: its namespaces, and one pod per
 * suite pod that listens on every port the suite probes. TCP ports get a busybox httpd each
 * (any HTTP answer proves the connection); each UDP port gets a CoreDNS sidecar with its
 * default `whoami` server, because a UDP probe needs a reply to tell "delivered" from "dropped"
 * and the toolbox has no UDP echo server.
 */
import type { ContainerPort, K8sNetworkPolicy } from '../../src/core/cluster-types.ts';
import { IMAGE_REGISTRY } from '../../src/lab/addons/context.ts';
import type { LabVersions } from '../../src/lab/versions.ts';
import { SUITE_NAMESPACES, SUITE_PODS, type SuitePod, UNDECLARED_PORT } from './agreement-suite.ts';

/** Every object the suite creates lives in these namespaces; deleting them cleans up. */
export const SUITE_NAMESPACE_NAMES: readonly string[] = SUITE_NAMESPACES.map((n) => n.name);

interface Manifest {
  apiVersion: string;
  kind: string;
  [field: string]: unknown;
}

/** A `kind: List` for `kubectl apply -f -`. */
export function list(items: Manifest[]): Manifest {
  return { apiVersion: 'v1', kind: 'List', items };
}

export function namespaceManifests(): Manifest[] {
  return SUITE_NAMESPACES.map((n) => ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: n.name, labels: n.labels },
  }));
}

/** The TCP ports a suite pod listens on: its declared ones and the undeclared one. */
export function tcpListenPorts(p: SuitePod): number[] {
  const ports = p.ports.filter((x) => (x.protocol ?? 'TCP') === 'TCP').map((x) => x.containerPort);
  return [...new Set([...ports, UNDECLARED_PORT])].sort((a, b) => a - b);
}

function udpPorts(p: SuitePod): ContainerPort[] {
  return p.ports.filter((x) => x.protocol === 'UDP');
}

/**
 * One suite pod, pinned to `node`. Labels are exactly the suite's: an extra label could change
 * what a selector matches. Each port is declared on the container that serves it, since named
 * ports resolve over all containers of a pod (both in the API and in kube-router).
 */
export function podManifest(p: SuitePod, node: string, versions: LabVersions): Manifest {
  const tcp = tcpListenPorts(p);
  const listen = tcp.map((port) => `busybox httpd -p ${port} -h /tmp || exit 1`).join('; ');
  // Readiness from inside the pod: a kubelet probe would itself be subject to the policies.
  const ready = tcp.map((port) => `netstat -ltn | grep -q ':${port} '`).join(' && ');
  const containers: object[] = [
    {
      name: 'listener',
      image: `${IMAGE_REGISTRY}/toolbox:${versions.TOOLBOX_VERSION}`,
      imagePullPolicy: 'Never',
      command: ['sh', '-c', `${listen}; exec sleep 2147483647`],
      ports: p.ports.filter((x) => (x.protocol ?? 'TCP') === 'TCP'),
      readinessProbe: { exec: { command: ['sh', '-c', ready] }, periodSeconds: 2 },
    },
    ...udpPorts(p).map((u) => ({
      name: `udp-${u.containerPort}`,
      image: `${IMAGE_REGISTRY}/coredns:${versions.COREDNS_VERSION}`,
      imagePullPolicy: 'Never',
      // No Corefile: CoreDNS serves `whoami` on -dns.port, answering any query.
      args: ['-dns.port', String(u.containerPort)],
      ports: [u],
    })),
  ];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { namespace: p.namespace, name: p.name, labels: p.labels },
    spec: {
      nodeName: node,
      tolerations: [{ operator: 'Exists' }],
      terminationGracePeriodSeconds: 0,
      enableServiceLinks: false,
      containers,
    },
  };
}

/** Suite pods spread round-robin over `nodes`, so both same-node and cross-node pairs occur. */
export function podManifests(nodes: readonly string[], versions: LabVersions): Manifest[] {
  return SUITE_PODS.map((p, i) => podManifest(p, nodes[i % nodes.length]!, versions));
}

export function policyManifests(policies: readonly K8sNetworkPolicy[]): Manifest[] {
  return policies.map((p) => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', ...p }));
}
