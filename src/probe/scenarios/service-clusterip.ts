import type { Scenario } from '../types.ts';

/** HTTP to the ClusterIP of the Service netdoctor puts over its probe servers. */
export const serviceClusterIp: Scenario = {
  id: 'service-clusterip',
  description: "HTTP from each node to the probe Service's ClusterIP",
  plan: (input, from) => [
    {
      scenario: 'service-clusterip',
      from: from.name,
      to: `${input.probeService.namespace}/${input.probeService.name}`,
      target: { kind: 'service' },
      // The proxy may program a brand-new Service a moment after its endpoints are ready.
      command: { kind: 'http', port: 80, path: '/', tries: 3 },
      protocol: 'tcp',
      name: input.probeService.name,
    },
  ],
};
