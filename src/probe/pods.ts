/**
 * Manifests of the probe run's objects. Every object carries the owned labels, so cleanup (and
 * `netdoctor cleanup` after a crash) finds exactly these. Pods are pinned to their node with
 * nodeName and tolerate every taint: a probe must run on each node, tainted or not.
 */

import { literalCommand } from '../cluster/literal-command.ts';
import { namePart, ownedLabels } from '../cluster/owned-labels.ts';
import { CAPTURE_SCRIPT, CLIENT_SCRIPT } from './scripts.ts';

/** Object names of one run; a runId is cut to a safe DNS label part. */
export function objectNames(runId: string) {
  const rid = namePart(runId, 24, 'run');
  return {
    service: `netdoctor-probe-${rid}`,
    server: (i: number) => `nd-probe-${rid}-srv-${i}`,
    client: (i: number) => `nd-probe-${rid}-cli-${i}`,
    capture: (i: number) => `nd-probe-${rid}-cap-${i}`,
  };
}

const TOLERATE_ALL = [{ operator: 'Exists' }];

function basePod(name: string, labels: Record<string, string>, node: string) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels },
    spec: {
      nodeName: node,
      tolerations: TOLERATE_ALL,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      terminationGracePeriodSeconds: 0,
    },
  };
}

export function serverPod(o: {
  name: string;
  runId: string;
  node: string;
  image: string;
  port: number;
}): object {
  const p = basePod(o.name, ownedLabels(o.runId, 'probe-server'), o.node);
  return {
    ...p,
    spec: {
      ...p.spec,
      containers: [
        {
          name: 'server',
          image: o.image,
          command: literalCommand([
            'sh',
            '-c',
            `mkdir -p /tmp/www && echo netdoctor-probe > /tmp/www/index.html && exec busybox httpd -f -p ${o.port} -h /tmp/www`,
          ]),
          ports: [{ name: 'http', containerPort: o.port, protocol: 'TCP' }],
          readinessProbe: { tcpSocket: { port: o.port }, periodSeconds: 1, failureThreshold: 1 },
        },
      ],
    },
  };
}

export function clientPod(o: {
  name: string;
  runId: string;
  node: string;
  image: string;
  plan: string;
  deadlineSeconds: number;
  /** PEM CA bundle the TLS probes trust instead of the image's (a private CA's services). */
  tlsCa?: string;
}): object {
  const p = basePod(o.name, ownedLabels(o.runId, 'probe-client'), o.node);
  return {
    ...p,
    spec: {
      ...p.spec,
      restartPolicy: 'Never',
      activeDeadlineSeconds: o.deadlineSeconds,
      containers: [
        {
          name: 'client',
          image: o.image,
          command: literalCommand(['sh', '-c', CLIENT_SCRIPT]),
          env: [
            { name: 'PLAN', value: o.plan },
            { name: 'PAR', value: '8' },
            ...(o.tlsCa ? [{ name: 'TLS_CA', value: o.tlsCa }] : []),
          ],
        },
      ],
    },
  };
}

export function capturePod(o: {
  name: string;
  runId: string;
  node: string;
  nodeIp: string;
  image: string;
  seconds: number;
}): object {
  const p = basePod(o.name, ownedLabels(o.runId, 'probe-capture'), o.node);
  return {
    ...p,
    spec: {
      ...p.spec,
      hostNetwork: true,
      restartPolicy: 'Never',
      activeDeadlineSeconds: o.seconds + 15,
      containers: [
        {
          name: 'capture',
          image: o.image,
          command: literalCommand(['sh', '-c', CAPTURE_SCRIPT]),
          env: [
            { name: 'NODE_IP', value: o.nodeIp },
            { name: 'MAX_SECONDS', value: String(o.seconds) },
          ],
          securityContext: { privileged: true },
        },
      ],
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
