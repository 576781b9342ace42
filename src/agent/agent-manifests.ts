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
/**
 * How the agent's container starts Node.js in netdoctor's image, with V8 flags that keep a
 * long-running agent within 100 MB: 2 MB young-generation semi-spaces (its rounds allocate
 * little at a time: about 11 MB less), the baseline compiler only (`--max-opt=1`: Maglev's and
 * TurboFan's code and feedback cost it 8 to 15 MB, for no CPU measurable at one round per
 * interval), and V8's memory-over-speed heuristics (`--optimize-for-size`: peak 76 MB instead of
 * 95 to 103 on the lab, for 114 ms of its own CPU a round instead of 84 with 300 Services; `npm run
 * bench:agent`). `--lite-mode` saves about as much but runs the parsers interpreted: 814 ms a
 * round with 2,000 Services, over the CPU budget at 30 s. NODE_OPTIONS does not take
 * `--max-opt`, hence the command.
 */
export const AGENT_COMMAND = [
  '/usr/local/bin/node',
  '--max-semi-space-size=2',
  '--max-opt=1',
  '--optimize-for-size',
  '/opt/netdoctor/dist/cli/main.js',
] as const;

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
                command: [...AGENT_COMMAND],
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
                  '--cluster-domain',
                  'cluster.local',
                ],
                env: [{ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
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
