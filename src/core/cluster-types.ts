/**
 * The Kubernetes objects analysis reads, in their JSON wire form (timestamps are strings), with
 * only the fields netdoctor uses declared. Collectors store whole objects; these types are a
 * view, so extra fields in a bundle are harmless.
 */

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  creationTimestamp?: string;
  /** Set once the object is being deleted (a pod then only finishes its grace period). */
  deletionTimestamp?: string;
  ownerReferences?: { kind: string; name: string; uid?: string }[];
}

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export interface K8sNode {
  metadata: ObjectMeta;
  spec: { podCIDR?: string; podCIDRs?: string[]; taints?: { key: string; effect: string; value?: string }[] };
  status: {
    conditions?: { type: string; status: 'True' | 'False' | 'Unknown'; reason?: string; message?: string }[];
    addresses?: { type: string; address: string }[];
    nodeInfo?: {
      kubeletVersion?: string;
      osImage?: string;
      kernelVersion?: string;
      containerRuntimeVersion?: string;
    };
  };
}

export interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol?: 'TCP' | 'UDP' | 'SCTP';
}

export interface ContainerState {
  running?: { startedAt?: string };
  waiting?: { reason?: string; message?: string };
  terminated?: { reason?: string; exitCode?: number; message?: string; finishedAt?: string };
}

export interface ContainerStatus {
  name: string;
  ready: boolean;
  restartCount: number;
  image?: string;
  state?: ContainerState;
  lastState?: ContainerState;
}

export interface K8sPod {
  metadata: ObjectMeta;
  spec: {
    nodeName?: string;
    hostNetwork?: boolean;
    containers: {
      name: string;
      image?: string;
      ports?: ContainerPort[];
      args?: string[];
      command?: string[];
    }[];
  };
  status: {
    phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';
    podIP?: string;
    podIPs?: { ip: string }[];
    hostIP?: string;
    conditions?: { type: string; status: 'True' | 'False' | 'Unknown'; reason?: string }[];
    containerStatuses?: ContainerStatus[];
    reason?: string;
  };
}

export interface ServicePort {
  name?: string;
  protocol?: 'TCP' | 'UDP' | 'SCTP';
  port: number;
  targetPort?: number | string;
  nodePort?: number;
}

export interface K8sService {
  metadata: ObjectMeta;
  spec: {
    type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';
    clusterIP?: string;
    clusterIPs?: string[];
    selector?: Record<string, string>;
    ports?: ServicePort[];
  };
}

/** discovery.k8s.io/v1 EndpointSlice. */
export interface K8sEndpointSlice {
  metadata: ObjectMeta;
  addressType?: string;
  endpoints?: {
    addresses: string[];
    conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean };
    nodeName?: string;
    targetRef?: { kind: string; name: string; namespace?: string };
  }[];
  ports?: { name?: string; port?: number; protocol?: string }[];
}

export interface K8sDaemonSet {
  metadata: ObjectMeta;
  spec: {
    selector: LabelSelector;
    template: {
      metadata?: Partial<ObjectMeta>;
      spec?: { containers?: { name: string; image?: string; args?: string[] }[] };
    };
  };
  status?: {
    desiredNumberScheduled?: number;
    currentNumberScheduled?: number;
    numberReady?: number;
    numberAvailable?: number;
    numberUnavailable?: number;
  };
}

export interface K8sDeployment {
  metadata: ObjectMeta;
  spec: { replicas?: number; selector: LabelSelector };
  status?: {
    replicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    unavailableReplicas?: number;
  };
}

export interface K8sConfigMap {
  metadata: ObjectMeta;
  data?: Record<string, string>;
}

export interface NetworkPolicyPort {
  protocol?: 'TCP' | 'UDP' | 'SCTP';
  port?: number | string;
  endPort?: number;
}
export interface NetworkPolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: { cidr: string; except?: string[] };
}
export interface K8sNetworkPolicy {
  metadata: ObjectMeta;
  spec: {
    podSelector: LabelSelector;
    policyTypes?: ('Ingress' | 'Egress')[];
    ingress?: { from?: NetworkPolicyPeer[]; ports?: NetworkPolicyPort[] }[];
    egress?: { to?: NetworkPolicyPeer[]; ports?: NetworkPolicyPort[] }[];
  };
}

export interface K8sNamespace {
  metadata: ObjectMeta;
}

export interface K8sEvent {
  metadata: ObjectMeta;
  involvedObject: { kind?: string; name?: string; namespace?: string };
  reason?: string;
  message?: string;
  type?: string;
  count?: number;
  lastTimestamp?: string;
  eventTime?: string;
}

/** Container logs: key `<namespace>/<pod>/<container>`, and `.../previous` for the last crash. */
export type PodLogs = Record<string, string>;

/**
 * Everything read from the API. ConfigMaps are only the networking ones (CoreDNS, kube-proxy,
 * CNI); Secrets are never collected.
 */
export interface ClusterState {
  serverVersion?: string;
  nodes: K8sNode[];
  namespaces: K8sNamespace[];
  pods: K8sPod[];
  services: K8sService[];
  endpointSlices: K8sEndpointSlice[];
  daemonSets: K8sDaemonSet[];
  deployments: K8sDeployment[];
  configMaps: K8sConfigMap[];
  networkPolicies: K8sNetworkPolicy[];
  events: K8sEvent[];
  logs: PodLogs;
}

export function emptyClusterState(): ClusterState {
  return {
    nodes: [],
    namespaces: [],
    pods: [],
    services: [],
    endpointSlices: [],
    daemonSets: [],
    deployments: [],
    configMaps: [],
    networkPolicies: [],
    events: [],
    logs: {},
  };
}
