/**
 * The objects that run `netdoctor agent` on every node: a ServiceAccount without API rights or a
 * mounted token (the agent reads no API), a headless Service over the agents through which they
 * find each other in DNS (not-ready agents included, so a broken one is probed and seen), and
 * the DaemonSet. The pod gets what `diagnose`'s collection pod gets (the node's network and
 * PID namespaces, privileges, its `/` read-only), so both read a node the same way. Pure: builds
 * the objects, applies nothing.
 */
import { HOST_ROOT } from '../collect/node/agent-pod.ts';

export const AGENT_NAME = 'netdoctor-agent';
/** V8's flags for the agent process (see the DaemonSet's env). */
export const AGENT_NODE_OPTIONS = '--max-semi-space-size=2';

export const AGENT_PORT = 9464;

export interface AgentManifestOptions {
  namespace: string;
  image: string;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  intervalSeconds: number;
  k: number;
}

const LABELS = { 'app.kubernetes.io/name': AGENT_NAME, 'app.kubernetes.io/part-of': 'netdoctor' };

export function agentManifests(o: AgentManifestOptions): object[] {
  const meta = (name: string) => ({ name, namespace: o.namespace, labels: LABELS });
  return [
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: meta(AGENT_NAME),
      automountServiceAccountToken: false,
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(AGENT_NAME),
      spec: {
        clusterIP: 'None',
        publishNotReadyAddresses: true,
        selector: { 'app.kubernetes.io/name': AGENT_NAME },
        ports: [{ name: 'metrics', port: AGENT_PORT, targetPort: AGENT_PORT, protocol: 'TCP' }],
      },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: meta(AGENT_NAME),
      spec: {
        selector: { matchLabels: { 'app.kubernetes.io/name': AGENT_NAME } },
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '10%' } },
        template: {
          metadata: { labels: LABELS },
          spec: {
            serviceAccountName: AGENT_NAME,
            automountServiceAccountToken: false,
            hostNetwork: true,
            hostPID: true,
            dnsPolicy: 'ClusterFirstWithHostNet',
            tolerations: [{ operator: 'Exists' }],
            priorityClassName: 'system-node-critical',
            terminationGracePeriodSeconds: 5,
            containers: [
              {
                name: 'agent',
                image: o.image,
                ...(o.imagePullPolicy ? { imagePullPolicy: o.imagePullPolicy } : {}),
                args: [
                  'agent',
                  '--host-root',
                  HOST_ROOT,
                  '--peers-dns',
                  `${AGENT_NAME}.${o.namespace}.svc.cluster.local`,
                  '--listen',
                  `0.0.0.0:${AGENT_PORT}`,
                  '--interval',
                  `${o.intervalSeconds}s`,
                  '--k',
                  String(o.k),
                ],
                env: [
                  { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
                  // A young generation of 2 MB semi-spaces: the agent's rounds allocate little at
                  // a time, and its peak RSS drops by about 11 MB (to about 92 MB) at no CPU cost.
                  { name: 'NODE_OPTIONS', value: AGENT_NODE_OPTIONS },
                ],
                ports: [{ name: 'metrics', containerPort: AGENT_PORT, protocol: 'TCP' }],
                readinessProbe: { httpGet: { path: '/healthz', port: AGENT_PORT }, periodSeconds: 5 },
                resources: { requests: { cpu: '10m', memory: '96Mi' }, limits: { memory: '256Mi' } },
                securityContext: { privileged: true },
                volumeMounts: [{ name: 'host', mountPath: HOST_ROOT, readOnly: true }],
              },
            ],
            volumes: [{ name: 'host', hostPath: { path: '/' } }],
          },
        },
      },
    },
  ];
}
