import type { Scenario } from '../types.ts';

/** HTTP to the probe Service's NodePort on the InternalIP of this node and of each peer. */
export const nodeport: Scenario = {
  id: 'nodeport',
  description:
    "HTTP from each node to the probe Service's NodePort on its own and every peer node's InternalIP",
  plan: (input, from, peers) =>
    [from, ...peers].map((to) => ({
      scenario: 'nodeport',
      from: from.name,
      to: to.name,
      target: { kind: 'nodeport', node: to.name, ip: to.internalIp ?? '' },
      command: { kind: 'http', port: 0, path: '/', tries: 3 },
      protocol: 'tcp',
      name: `${input.probeService.namespace}/${input.probeService.name}`,
      ...(to.internalIp ? {} : { skip: `node ${to.name} has no InternalIP` }),
    })),
};
