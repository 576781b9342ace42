/**
 * Manifests of the perf run's pods: an iperf3 server per destination node and mode, and a
 * short-lived client per step. Like every pod netdoctor runs on a node they are pinned with
 * nodeName, tolerate every taint, carry the owned labels (so `netdoctor cleanup` finds them
 * after a crash) and have a kubelet-enforced deadline, so none outlives a dead netdoctor by
 * long. Pure: builds objects, creates nothing.
 */
import { literalCommand } from '../cluster/literal-command.ts';
import { namePart, ownedLabels } from '../cluster/owned-labels.ts';
import { CLIENT_SCRIPT, HOST_SERVER_PORT, POD_SERVER_PORT, serverArgv } from './iperf-commands.ts';
import type { NodeName, PerfMode } from './types.ts';

/** The container names, for reading the pods' logs. */
export const SERVER_CONTAINER = 'iperf3';
export const CLIENT_CONTAINER = 'iperf3';

/** Names of one run's pods; the run id is cut to a safe DNS label part. */
export function perfPodNames(runId: string) {
  const rid = namePart(runId, 24, 'run');
  return {
    server: (mode: PerfMode, nodeIndex: number) => `nd-perf-${rid}-srv-${mode}-${nodeIndex}`,
    client: (step: number) => `nd-perf-${rid}-cli-${step}`,
  };
}

/** The port a mode's server listens on. */
export const serverPort = (mode: PerfMode): number => (mode === 'host' ? HOST_SERVER_PORT : POD_SERVER_PORT);

interface PodBase {
  name: string;
  namespace: string;
  runId: string;
  node: NodeName;
  image: string;
  mode: PerfMode;
  /** The kubelet ends the pod after this long, even if netdoctor is gone. */
  deadlineSeconds: number;
}

// restartPolicy Never for both: a server that exits (its port taken) is an error row, not a
// restart loop, and a client runs its tests once.
function podOf(o: PodBase, role: 'perf-server' | 'perf-client', container: object) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: o.name,
      namespace: o.namespace,
      labels: { ...ownedLabels(o.runId, role), 'netdoctor.io/perf-mode': o.mode },
    },
    spec: {
      nodeName: o.node,
      tolerations: [{ operator: 'Exists' }],
      // `host`: the node's own network namespace, so the traffic is the underlay's alone.
      ...(o.mode === 'host' ? { hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' } : {}),
      restartPolicy: 'Never',
      activeDeadlineSeconds: Math.max(1, Math.ceil(o.deadlineSeconds)),
      terminationGracePeriodSeconds: 0,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      containers: [container],
    },
  };
}

// No CPU limit: a throttled iperf3 would report the quota, not the network.
const RESOURCES = { requests: { cpu: '100m', memory: '16Mi' }, limits: { memory: '128Mi' } };

/**
 * The iperf3 server on a destination node. `host` binds the node's InternalIP, the address the
 * client dials, so it listens on no other interface of the node.
 */
export function perfServerPod(o: PodBase & { bindIp?: string }): object {
  return podOf(o, 'perf-server', {
    name: SERVER_CONTAINER,
    image: o.image,
    imagePullPolicy: 'IfNotPresent',
    command: literalCommand(serverArgv(serverPort(o.mode), o.mode === 'host' ? o.bindIp : undefined)),
    resources: RESOURCES,
  });
}

/** A client running `plan` (see iperf-commands.ts) on the source node, then exiting. */
export function perfClientPod(o: PodBase & { plan: string }): object {
  return podOf(o, 'perf-client', {
    name: CLIENT_CONTAINER,
    image: o.image,
    imagePullPolicy: 'IfNotPresent',
    command: literalCommand(['sh', '-c', CLIENT_SCRIPT]),
    env: [{ name: 'PLAN', value: o.plan }],
    resources: RESOURCES,
  });
}
