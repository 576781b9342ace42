import type { Scenario } from '../types.ts';

/** ICMP echo from each node's probe client to the probe server on the same node and on each peer. */
export const podToPodIcmp: Scenario = {
  id: 'pod-to-pod-icmp',
  description: 'ping from a pod on each node to a pod on the same node and on every peer node',
  plan: (_input, from, peers) =>
    [from, ...peers].map((to) => ({
      scenario: 'pod-to-pod-icmp',
      from: from.name,
      to: to.name,
      target: { kind: 'server', node: to.name },
      command: { kind: 'icmp' },
      protocol: 'icmp',
    })),
};
