/**
 * The probe run's objects: its pods as the node pod runner takes them (cluster/node-pod-spec.ts
 * pins each to its node with nodeName, tolerates every taint and puts on the owned labels, so
 * cleanup and `netdoctor cleanup` after a crash find exactly these), and its Service. Pure.
 */

import { type NodePodSpec, type PodName, podName } from '../cluster/node-pod-spec.ts';
import { namePart, ownedLabels } from '../cluster/owned-labels.ts';
import { CAPTURE_SCRIPT, CLIENT_SCRIPT } from './scripts.ts';

/** Object names of one run; a runId is cut to a safe DNS label part. */
export function objectNames(runId: string) {
  const rid = namePart(runId, 24, 'run');
  return {
    service: `netdoctor-probe-${rid}`,
    server: (i: number): PodName => podName(`nd-probe-${rid}-srv-${i}`),
    client: (i: number): PodName => podName(`nd-probe-${rid}-cli-${i}`),
    capture: (i: number): PodName => podName(`nd-probe-${rid}-cap-${i}`),
  };
}

/** What every probe pod has: its name, node, run and image. */
interface ProbePodBase {
  name: PodName;
  runId: string;
  node: string;
  image: string;
}

export function serverPod(o: ProbePodBase & { port: number }): NodePodSpec {
  return {
    name: o.name,
    node: o.node,
    runId: o.runId,
    role: 'probe-server',
    // Restarted if it dies: the Service and every peer's probes point at it for the whole run.
    restartPolicy: 'Always',
    container: {
      name: 'server',
      image: o.image,
      argv: [
        'sh',
        '-c',
        `mkdir -p /tmp/www && echo netdoctor-probe > /tmp/www/index.html && exec busybox httpd -f -p ${o.port} -h /tmp/www`,
      ],
      ports: [{ name: 'http', containerPort: o.port, protocol: 'TCP' }],
      readinessProbe: { tcpSocket: { port: o.port }, periodSeconds: 1, failureThreshold: 1 },
    },
  };
}

export function clientPod(
  o: ProbePodBase & {
    plan: string;
    deadlineSeconds: number;
    /** PEM CA bundle the TLS probes trust instead of the image's (a private CA's services). */
    tlsCa?: string;
  },
): NodePodSpec {
  return {
    name: o.name,
    node: o.node,
    runId: o.runId,
    role: 'probe-client',
    activeDeadlineSeconds: o.deadlineSeconds,
    container: {
      name: 'client',
      image: o.image,
      argv: ['sh', '-c', CLIENT_SCRIPT],
      env: { PLAN: o.plan, PAR: '8', ...(o.tlsCa ? { TLS_CA: o.tlsCa } : {}) },
    },
  };
}

export function capturePod(o: ProbePodBase & { nodeIp: string; seconds: number }): NodePodSpec {
  return {
    name: o.name,
    node: o.node,
    runId: o.runId,
    role: 'probe-capture',
    access: { hostNetwork: true, privileged: true },
    activeDeadlineSeconds: o.seconds + 15,
    container: {
      name: 'capture',
      image: o.image,
      argv: ['sh', '-c', CAPTURE_SCRIPT],
      env: { NODE_IP: o.nodeIp, MAX_SECONDS: String(o.seconds) },
    },
  };
}

export function probeService(o: { name: string; runId: string; port: number }): object {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: o.name, labels: ownedLabels(o.runId, 'probe-service') },
    spec: {
      type: 'NodePort',
      selector: ownedLabels(o.runId, 'probe-server'),
      ports: [{ name: 'http', port: 80, targetPort: o.port, protocol: 'TCP' }],
    },
  };
}
