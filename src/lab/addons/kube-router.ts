/**
 * NetworkPolicy enforcement beside flannel, the way k3s does it: kube-router with only its
 * network policy controller (no routing, no service proxy).
 */
import type { AddonContext } from './addon.ts';

export function kubeRouterManifest(ctx: AddonContext): string {
  return `apiVersion: v1
kind: ServiceAccount
metadata: {name: kube-router, namespace: kube-system}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: kube-router}
rules:
- {apiGroups: [""], resources: [namespaces, pods, services, nodes, endpoints], verbs: [list, get, watch]}
- {apiGroups: [networking.k8s.io], resources: [networkpolicies], verbs: [list, get, watch]}
- {apiGroups: [extensions], resources: [networkpolicies], verbs: [get, list, watch]}
- {apiGroups: [discovery.k8s.io], resources: [endpointslices], verbs: [get, list, watch]}
- {apiGroups: [coordination.k8s.io], resources: [leases], verbs: [get, create, update]}
- {apiGroups: [""], resources: [services/status], verbs: [update]}
- {apiGroups: [""], resources: [events], verbs: [create, patch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: kube-router}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: kube-router}
subjects: [{kind: ServiceAccount, name: kube-router, namespace: kube-system}]
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: kube-router
  namespace: kube-system
  labels: {k8s-app: kube-router}
spec:
  selector:
    matchLabels: {k8s-app: kube-router}
  template:
    metadata:
      labels: {k8s-app: kube-router}
    spec:
      priorityClassName: system-node-critical
      serviceAccountName: kube-router
      hostNetwork: true
      # Like kube-proxy: only nodes that say they run Linux. kwok's simulated nodes say nothing,
      # so the scale benchmark's 5,000 of them get no DaemonSet pods.
      nodeSelector: {kubernetes.io/os: linux}
      tolerations: [{operator: Exists}]
      containers:
      - name: kube-router
        image: ${ctx.image('kube-router', ctx.versions.KUBE_ROUTER_VERSION)}
        imagePullPolicy: Never
        args:
        - --run-router=false
        - --run-firewall=true
        - --run-service-proxy=false
        - --bgp-graceful-restart=false
        - --hostname-override=$(NODE_NAME)
        - --health-port=20244
        env:
        - name: NODE_NAME
          valueFrom: {fieldRef: {fieldPath: spec.nodeName}}
        securityContext: {privileged: true}
        livenessProbe:
          httpGet: {path: /healthz, port: 20244}
          initialDelaySeconds: 10
          periodSeconds: 5
        volumeMounts:
        - {name: xtables-lock, mountPath: /run/xtables.lock}
      volumes:
      - name: xtables-lock
        hostPath: {path: /run/xtables.lock, type: FileOrCreate}
`;
}
