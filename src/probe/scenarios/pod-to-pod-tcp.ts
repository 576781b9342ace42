import type { PlannedProbe, Scenario } from '../types.ts';
import { appProbes } from './app-http.ts';

/**
 * An HTTP GET (a TCP handshake and a response) to the probe server on the same node and on each
 * peer, and to each application target given (`validate --target`, see app-http.ts).
 */
export const podToPodTcp: Scenario = {
  id: 'pod-to-pod-tcp',
  description: 'TCP (HTTP) from a pod on each node to a pod on the same node and on every peer node',
  plan: (input, from, peers) => [
    ...[from, ...peers].map(
      (to): PlannedProbe => ({
        scenario: 'pod-to-pod-tcp',
        from: from.name,
        to: to.name,
        target: { kind: 'server', node: to.name },
        command: { kind: 'http', port: input.serverPort, path: '/', tries: 1 },
        protocol: 'tcp',
      }),
    ),
    ...appProbes(input, from),
  ],
};
