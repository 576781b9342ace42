/**
 * A small application the faults and probes act on: a web Deployment spread over the nodes
 * behind a ClusterIP Service and a NodePort Service, and a toolbox DaemonSet (one pod per node)
 * to probe from.
 */
import type { AddonContext } from './addon.ts';

export const DEMO_NAMESPACE = 'demo';
export const DEMO_NODEPORT = 30080;

export function demoManifest(ctx: AddonContext): string {
  const toolbox = ctx.image('toolbox', ctx.versions.TOOLBOX_VERSION);
  return `apiVersion: v1
kind: Namespace
metadata: {name: ${DEMO_NAMESPACE}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ${DEMO_NAMESPACE}, labels: {app: web}}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      topologySpreadConstraints:
      - {maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: ScheduleAnyway, labelSelector: {matchLabels: {app: web}}}
      containers:
      - name: web
        image: ${toolbox}
        imagePullPolicy: Never
        command: [sh, -c, 'mkdir -p /tmp/www && hostname > /tmp/www/index.html && exec busybox httpd -f -p 8080 -h /tmp/www']
        ports: [{containerPort: 8080, name: http}]
        readinessProbe:
          tcpSocket: {port: 8080}
          periodSeconds: 5
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: ${DEMO_NAMESPACE}}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: web-nodeport, namespace: ${DEMO_NAMESPACE}}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080, nodePort: ${DEMO_NODEPORT}}]
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: toolbox, namespace: ${DEMO_NAMESPACE}, labels: {app: toolbox}}
spec:
  selector:
    matchLabels: {app: toolbox}
  template:
    metadata:
      labels: {app: toolbox}
    spec:
      # Like kube-proxy: only nodes that say they run Linux. kwok's simulated nodes say nothing,
      # so the scale benchmark's 5,000 of them get no DaemonSet pods.
      nodeSelector: {kubernetes.io/os: linux}
      tolerations: [{operator: Exists}]
      terminationGracePeriodSeconds: 1
      containers:
      - name: toolbox
        image: ${toolbox}
        imagePullPolicy: Never
        command: [sh, -c, 'mkdir -p /tmp/www && hostname > /tmp/www/index.html && busybox httpd -p 8080 -h /tmp/www && exec sleep 2147483647']
        ports: [{containerPort: 8080, name: http}]
        securityContext:
          capabilities: {add: [NET_ADMIN, NET_RAW]}
`;
}
