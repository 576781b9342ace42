/**
 * Schemas of the cluster object files (cluster/*.json): one per kind, matching the views in
 * core/cluster-types.ts. A list file is valid when every item is; rules then can rely on the
 * fields their types promise.
 */
import type { ClusterFileKey } from '../layout.ts';
import {
  arrayOf,
  bool,
  int,
  num,
  obj,
  oneOfStrings,
  type Schema,
  str,
  stringMap,
  strings,
} from './common.ts';

const conditionStatus = oneOfStrings(['True', 'False', 'Unknown']);
const protocol = oneOfStrings(['TCP', 'UDP', 'SCTP']);

const objectMeta = obj(
  {
    name: str,
    namespace: str,
    uid: str,
    labels: stringMap,
    annotations: stringMap,
    creationTimestamp: str,
    deletionTimestamp: str,
    ownerReferences: arrayOf(obj({ kind: str, name: str, uid: str }, ['kind', 'name'])),
  },
  ['name'],
);

const labelSelector = obj({
  matchLabels: stringMap,
  matchExpressions: arrayOf(
    obj({ key: str, operator: oneOfStrings(['In', 'NotIn', 'Exists', 'DoesNotExist']), values: strings }, [
      'key',
      'operator',
    ]),
  ),
});

const node = obj(
  {
    metadata: objectMeta,
    spec: obj({
      podCIDR: str,
      podCIDRs: strings,
      taints: arrayOf(obj({ key: str, effect: str, value: str }, ['key', 'effect'])),
    }),
    status: obj({
      conditions: arrayOf(
        obj({ type: str, status: conditionStatus, reason: str, message: str }, ['type', 'status']),
      ),
      addresses: arrayOf(obj({ type: str, address: str }, ['type', 'address'])),
      nodeInfo: obj({ kubeletVersion: str, osImage: str, kernelVersion: str, containerRuntimeVersion: str }),
    }),
  },
  ['metadata', 'spec', 'status'],
);

const containerPort = obj({ name: str, containerPort: int, protocol }, ['containerPort']);

const containerState = obj({
  running: obj({ startedAt: str }),
  waiting: obj({ reason: str, message: str }),
  terminated: obj({ reason: str, exitCode: int, message: str, finishedAt: str }),
});

const pod = obj(
  {
    metadata: objectMeta,
    spec: obj(
      {
        nodeName: str,
        hostNetwork: bool,
        containers: arrayOf(
          obj({ name: str, image: str, ports: arrayOf(containerPort), args: strings, command: strings }, [
            'name',
          ]),
        ),
      },
      ['containers'],
    ),
    status: obj({
      phase: oneOfStrings(['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown']),
      podIP: str,
      podIPs: arrayOf(obj({ ip: str }, ['ip'])),
      hostIP: str,
      conditions: arrayOf(obj({ type: str, status: conditionStatus, reason: str }, ['type', 'status'])),
      containerStatuses: arrayOf(
        obj(
          {
            name: str,
            ready: bool,
            restartCount: int,
            image: str,
            state: containerState,
            lastState: containerState,
          },
          ['name', 'ready', 'restartCount'],
        ),
      ),
      reason: str,
    }),
  },
  ['metadata', 'spec', 'status'],
);

const service = obj(
  {
    metadata: objectMeta,
    spec: obj({
      type: oneOfStrings(['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName']),
      clusterIP: str,
      clusterIPs: strings,
      selector: stringMap,
      ports: arrayOf(
        obj({ name: str, protocol, port: int, targetPort: { type: ['integer', 'string'] }, nodePort: int }, [
          'port',
        ]),
      ),
    }),
  },
  ['metadata', 'spec'],
);

const endpointSlice = obj(
  {
    metadata: objectMeta,
    addressType: str,
    endpoints: arrayOf(
      obj(
        {
          addresses: strings,
          conditions: obj({ ready: bool, serving: bool, terminating: bool }),
          nodeName: str,
          targetRef: obj({ kind: str, name: str, namespace: str }, ['kind', 'name']),
        },
        ['addresses'],
      ),
    ),
    ports: arrayOf(obj({ name: str, port: int, protocol: str })),
  },
  ['metadata'],
);

const daemonSet = obj(
  {
    metadata: objectMeta,
    spec: obj(
      {
        selector: labelSelector,
        template: obj({
          metadata: obj({ name: str, namespace: str, labels: stringMap, annotations: stringMap }),
          spec: obj({ containers: arrayOf(obj({ name: str, image: str, args: strings }, ['name'])) }),
        }),
      },
      ['selector', 'template'],
    ),
    status: obj({
      desiredNumberScheduled: int,
      currentNumberScheduled: int,
      numberReady: int,
      numberAvailable: int,
      numberUnavailable: int,
    }),
  },
  ['metadata', 'spec'],
);

const deployment = obj(
  {
    metadata: objectMeta,
    spec: obj({ replicas: int, selector: labelSelector }, ['selector']),
    status: obj({ replicas: int, readyReplicas: int, availableReplicas: int, unavailableReplicas: int }),
  },
  ['metadata', 'spec'],
);

const configMap = obj({ metadata: objectMeta, data: stringMap }, ['metadata']);

const policyPort = obj({ protocol, port: { type: ['integer', 'string'] }, endPort: int });
const policyPeer = obj({
  podSelector: labelSelector,
  namespaceSelector: labelSelector,
  ipBlock: obj({ cidr: str, except: strings }, ['cidr']),
});
const networkPolicy = obj(
  {
    metadata: objectMeta,
    spec: obj(
      {
        podSelector: labelSelector,
        policyTypes: arrayOf(oneOfStrings(['Ingress', 'Egress'])),
        ingress: arrayOf(obj({ from: arrayOf(policyPeer), ports: arrayOf(policyPort) })),
        egress: arrayOf(obj({ to: arrayOf(policyPeer), ports: arrayOf(policyPort) })),
      },
      ['podSelector'],
    ),
  },
  ['metadata', 'spec'],
);

const namespace = obj({ metadata: objectMeta }, ['metadata']);

const event = obj(
  {
    metadata: objectMeta,
    involvedObject: obj({ kind: str, name: str, namespace: str }),
    reason: str,
    message: str,
    type: str,
    count: num,
    lastTimestamp: str,
    eventTime: str,
  },
  ['metadata', 'involvedObject'],
);

/** The schema of one item of each cluster list file. */
export const CLUSTER_ITEM_SCHEMAS: Record<Exclude<ClusterFileKey, 'version'>, Schema> = {
  nodes: node,
  namespaces: namespace,
  pods: pod,
  services: service,
  endpointSlices: endpointSlice,
  daemonSets: daemonSet,
  deployments: deployment,
  configMaps: configMap,
  networkPolicies: networkPolicy,
  events: event,
};
