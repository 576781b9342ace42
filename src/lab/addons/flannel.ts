/**
 * flannel as its upstream kube-flannel.yml installs it: VXLAN backend (UDP 8472), kube subnet
 * manager (node pod CIDRs from the controller-manager), init containers that copy the CNI
 * plugin and the CNI config onto the node.
 */
import { NET } from '../topology.ts';
import type { AddonContext } from './addon.ts';

export const FLANNEL_NAMESPACE = 'kube-flannel';
export const FLANNEL_DAEMONSET = 'kube-flannel-ds';

export function flannelNetConf(): string {
  return JSON.stringify({
    Network: NET.podCidr,
    EnableNFTables: false,
    Backend: { Type: 'vxlan', Port: NET.vxlanPort },
  });
}

export function flannelManifest(ctx: AddonContext): string {
  const image = ctx.image('flannel', ctx.versions.FLANNEL_VERSION);
  return `apiVersion: v1
kind: Namespace
metadata:
  name: ${FLANNEL_NAMESPACE}
  labels: {k8s-app: flannel, pod-security.kubernetes.io/enforce: privileged}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: flannel, labels: {k8s-app: flannel}}
rules:
- {apiGroups: [""], resources: [pods], verbs: [get]}
- {apiGroups: [""], resources: [nodes], verbs: [get, list, watch]}
- {apiGroups: [""], resources: [nodes/status], verbs: [patch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: flannel, labels: {k8s-app: flannel}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: flannel}
subjects: [{kind: ServiceAccount, name: flannel, namespace: ${FLANNEL_NAMESPACE}}]
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: flannel, namespace: ${FLANNEL_NAMESPACE}, labels: {k8s-app: flannel}}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: kube-flannel-cfg
  namespace: ${FLANNEL_NAMESPACE}
  labels: {tier: node, k8s-app: flannel, app: flannel}
data:
  cni-conf.json: |
    {
      "name": "cbr0",
      "cniVersion": "0.3.1",
      "plugins": [
        {"type": "flannel", "delegate": {"hairpinMode": true, "isDefaultGateway": true}},
        {"type": "portmap", "capabilities": {"portMappings": true}}
      ]
    }
  net-conf.json: |
    ${flannelNetConf()}
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: ${FLANNEL_DAEMONSET}
  namespace: ${FLANNEL_NAMESPACE}
  labels: {tier: node, app: flannel, k8s-app: flannel}
spec:
  selector:
    matchLabels: {app: flannel}
  template:
    metadata:
      labels: {tier: node, app: flannel}
    spec:
      hostNetwork: true
      priorityClassName: system-node-critical
      # Like kube-proxy: only nodes that say they run Linux. kwok's simulated nodes say nothing,
      # so the scale benchmark's 5,000 of them get no DaemonSet pods.
      nodeSelector: {kubernetes.io/os: linux}
      tolerations: [{operator: Exists, effect: NoSchedule}, {operator: Exists, effect: NoExecute}]
      serviceAccountName: flannel
      initContainers:
      - name: install-cni-plugin
        image: ${image}
        imagePullPolicy: Never
        command: [cp]
        args: [-f, /flannel, /opt/cni/bin/flannel]
        volumeMounts:
        - {name: cni-plugin, mountPath: /opt/cni/bin}
      - name: install-cni
        image: ${image}
        imagePullPolicy: Never
        command: [cp]
        args: [-f, /etc/kube-flannel/cni-conf.json, /etc/cni/net.d/10-flannel.conflist]
        volumeMounts:
        - {name: cni, mountPath: /etc/cni/net.d}
        - {name: flannel-cfg, mountPath: /etc/kube-flannel/}
      containers:
      - name: kube-flannel
        image: ${image}
        imagePullPolicy: Never
        command: [/opt/bin/flanneld]
        args: [--ip-masq, --kube-subnet-mgr]
        resources:
          requests: {cpu: 100m, memory: 50Mi}
        securityContext:
          privileged: false
          capabilities: {add: [NET_ADMIN, NET_RAW]}
        env:
        - name: POD_NAME
          valueFrom: {fieldRef: {fieldPath: metadata.name}}
        - name: POD_NAMESPACE
          valueFrom: {fieldRef: {fieldPath: metadata.namespace}}
        - {name: EVENT_QUEUE_DEPTH, value: "5000"}
        volumeMounts:
        - {name: run, mountPath: /run/flannel}
        - {name: flannel-cfg, mountPath: /etc/kube-flannel/}
        - {name: xtables-lock, mountPath: /run/xtables.lock}
      volumes:
      - name: run
        hostPath: {path: /run/flannel}
      - name: cni-plugin
        hostPath: {path: /opt/cni/bin}
      - name: cni
        hostPath: {path: /etc/cni/net.d}
      - name: flannel-cfg
        configMap: {name: kube-flannel-cfg}
      - name: xtables-lock
        hostPath: {path: /run/xtables.lock, type: FileOrCreate}
`;
}
