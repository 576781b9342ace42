import type { Scenario } from '../types.ts';

/**
 * A TLS handshake from a pod on each node to each service outside the cluster the workloads
 * depend on (seed 003: `openssl s_client -connect api.example:443 -servername ...`): the
 * certificate's verification, expiry and name, the negotiated version and cipher, and where the
 * time goes. The same target from every node, so a handshake that fails from some nodes only
 * points at those nodes' egress, MTU or proxy rather than at the server.
 */
export const tls: Scenario = {
  id: 'tls',
  description: 'TLS handshake with SNI from a pod on each node to each configured outside service',
  plan: (input, from) =>
    (input.tlsTargets ?? []).map((t) => ({
      scenario: 'tls' as const,
      from: from.name,
      to: `${t.host}:${t.port}`,
      target: { kind: 'fixed' as const, ip: /^[\d.]+$|:/.test(t.host) ? t.host : '' },
      command: { kind: 'tls' as const, host: t.host, port: t.port },
      protocol: 'tcp' as const,
      name: `${t.host}:${t.port}`,
    })),
};
