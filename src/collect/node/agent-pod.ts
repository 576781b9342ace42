/**
 * The node agent: a short-lived pod pinned to one node that prints the node's datapath (the
 * node script) to its log and exits. hostNetwork puts it in the node's network namespace, so the
 * script's `ip`, `bridge`, `iptables-*-save` and `nft` read the node itself; the node's root
 * filesystem is mounted read-only at /host for CNI config and flannel's subnet.env. Reading the
 * log needs only `pods/log`, never `pods/exec`. Pure: builds the pod's spec for the node pod
 * runner (cluster/node-pod.ts), creates nothing.
 */

import { type NodePodSpec, type PodName, podName } from '../../cluster/node-pod-spec.ts';
import { nodeScript } from './node-script.ts';

/** A public toolbox image with iproute2, bridge, iptables (both backends) and nft. */
export const DEFAULT_AGENT_IMAGE = 'nicolaka/netshoot:v0.13';
export const DEFAULT_AGENT_NAMESPACE = 'kube-system';
export const AGENT_CONTAINER = 'collect';
/** Where the node's `/` is mounted inside the agent. */
export const HOST_ROOT = '/host';

export interface AgentPodSpec {
  node: string;
  runId: string;
  image: string;
  /** The kubelet kills the pod after this long, even if netdoctor itself is gone. */
  activeDeadlineSeconds: number;
  /** `Never` for images preloaded on the nodes (the lab); `IfNotPresent` otherwise. */
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
}

const MAX_NAME = 63;

/** `netdoctor-agent-<node>-<runId>`, made a valid pod name (lower-case, ≤ 63 characters). */
export function agentPodName(node: string, runId: string): PodName {
  const safeNode = node
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  const suffix = `-${runId}`;
  const head = `netdoctor-agent-${safeNode}`.slice(0, MAX_NAME - suffix.length).replace(/-+$/, '');
  return podName(`${head}${suffix}`);
}

/** The agent pod for one node, as the node pod runner takes it. */
export function agentPodSpec(spec: AgentPodSpec): NodePodSpec {
  return {
    name: agentPodName(spec.node, spec.runId),
    node: spec.node,
    runId: spec.runId,
    role: 'agent',
    labels: { 'netdoctor.io/node': labelValue(spec.node) },
    access: { hostNetwork: true, clusterDns: true, hostPID: true, privileged: true, hostRoot: HOST_ROOT },
    activeDeadlineSeconds: spec.activeDeadlineSeconds,
    container: {
      name: AGENT_CONTAINER,
      image: spec.image,
      imagePullPolicy: spec.imagePullPolicy ?? 'IfNotPresent',
      argv: ['sh', '-c', nodeScript(HOST_ROOT)],
      resources: {
        requests: { cpu: '10m', memory: '16Mi' },
        limits: { memory: '128Mi' },
      },
    },
  };
}

/** Label values: ≤ 63 characters of [A-Za-z0-9._-], starting and ending alphanumeric. */
function labelValue(s: string): string {
  return s
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
}
