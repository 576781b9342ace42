import type { Scenario } from '../types.ts';

/**
 * Don't-fragment pings across nodes at the overlay's size (pod MTU - 28, which for flannel is
 * flannel.1's MTU - 28) and one byte above. The first must pass: when it vanishes while small
 * pings pass, the underlay cannot carry the encapsulated frame (seed 000). The second must fail
 * (expectations.ts). The pod MTU is read inside the client pod, so the size is in the result.
 */
export const mtu: Scenario = {
  id: 'mtu',
  description: "don't-fragment pings to every peer node at the overlay MTU and just above",
  plan: (_input, from, peers) =>
    peers.flatMap((to) =>
      (
        [
          ['at', 0],
          ['above', 1],
        ] as const
      ).map(([variant, delta]) => ({
        scenario: 'mtu' as const,
        from: from.name,
        to: to.name,
        target: { kind: 'server' as const, node: to.name },
        command: { kind: 'mtu' as const, delta },
        protocol: 'icmp' as const,
        variant,
      })),
    ),
};
