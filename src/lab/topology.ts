/**
 * The lab's shape as data: node names, namespaces and addresses. Pure, so `up`, `down`,
 * `status` and the faults agree on every name without asking the machine.
 */

/** Every namespace, link and host path the lab makes starts with this, so `down` can sweep. */
export const PREFIX = 'ndlab';

export const NET = {
  /** The namespace that holds the LAN switch (a bridge) and routes to the outside world. */
  underlayNs: `${PREFIX}-net`,
  bridge: 'br-lan',
  underlayCidr: '10.213.0.0/24',
  underlayPrefix: 24,
  gateway: '10.213.0.1',
  /** The root namespace's own leg on the LAN, so kubectl on the machine reaches the API. */
  hostIp: '10.213.0.254',
  hostLink: `${PREFIX}-host`,
  /** The "internet": a namespace behind the gateway with a resolver and a web server. */
  outsideNs: `${PREFIX}-ext`,
  outsideCidr: '203.0.113.0/24',
  outsideGateway: '203.0.113.1',
  outsideDns: '203.0.113.53',
  outsideWeb: '203.0.113.80',
  outsideDomain: 'outside.test',
  outsideWebName: 'www.outside.test',
  podCidr: '10.244.0.0/16',
  serviceCidr: '10.96.0.0/12',
  apiServiceIp: '10.96.0.1',
  dnsServiceIp: '10.96.0.10',
  clusterDomain: 'cluster.local',
  vxlanPort: 8472,
  underlayMtu: 1500,
} as const;

export type NodeRole = 'control-plane' | 'worker';

export interface LabNode {
  index: number;
  name: string;
  /** The node's network namespace (also its name: one node, one namespace). */
  netns: string;
  role: NodeRole;
  ip: string;
  /** The switch-side end of the node's veth, inside the underlay namespace. */
  switchPort: string;
}

export interface LabTopology {
  nodes: LabNode[];
  controlPlane: LabNode;
}

export const MAX_NODES = 9;

/** Nodes 1..n: node 1 is the control plane (and runs workloads, like a kubeadm single master). */
export function planTopology(count: number): LabTopology {
  const nodes: LabNode[] = [];
  for (let i = 1; i <= count; i++) {
    nodes.push({
      index: i,
      name: `${PREFIX}-node${i}`,
      netns: `${PREFIX}-node${i}`,
      role: i === 1 ? 'control-plane' : 'worker',
      ip: `10.213.0.${10 + i}`,
      switchPort: `${PREFIX}-p${i}`,
    });
  }
  const controlPlane = nodes[0];
  if (controlPlane === undefined) throw new RangeError('a lab needs at least one node');
  return { nodes, controlPlane };
}

export function apiServerUrl(t: LabTopology): string {
  return `https://${t.controlPlane.ip}:6443`;
}
