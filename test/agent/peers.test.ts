import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type AgentPeer, peersThisRound, roundsToCover } from '../../src/agent/peers.ts';

const agents = (n: number): AgentPeer[] =>
  Array.from({ length: n }, (_, i) => ({
    node: `node-${String(i).padStart(4, '0')}`,
    ip: `10.0.${i >> 8}.${i & 255}`,
  }));

describe('agent peer rotation', () => {
  it('covers every ordered pair exactly once within ceil((n-1)/k) rounds, k probes per agent per round', () => {
    for (const [n, k] of [
      [1, 3],
      [2, 3],
      [3, 3],
      [7, 2],
      [50, 3],
      [101, 7],
    ] as const) {
      const all = agents(n);
      const rounds = roundsToCover(n, k);
      assert.equal(rounds, n <= 1 ? 1 : Math.ceil((n - 1) / k));
      const seen = new Map<string, number>();
      for (let r = 0; r < rounds; r++) {
        const received = new Map<string, number>();
        for (const self of all) {
          const peers = peersThisRound(self.node, all, k, r);
          assert.ok(peers.length <= k);
          for (const p of peers) {
            assert.notEqual(p.node, self.node);
            const key = `${self.node}>${p.node}`;
            seen.set(key, (seen.get(key) ?? 0) + 1);
            received.set(p.node, (received.get(p.node) ?? 0) + 1);
          }
        }
        // No hot spot: every agent is probed as often as it probes.
        const counts = new Set(received.values());
        assert.ok(counts.size <= 1, `round ${r} of n=${n}: uneven ${[...counts]}`);
      }
      assert.equal(seen.size, n * (n - 1), `n=${n} k=${k}`);
      assert.ok([...seen.values()].every((c) => c === 1));
    }
  });

  it('every agent computes the same schedule whatever order it lists the others in', () => {
    const all = agents(9);
    const shuffled = [...all].reverse();
    for (let r = 0; r < 4; r++)
      assert.deepEqual(peersThisRound('node-0004', all, 2, r), peersThisRound('node-0004', shuffled, 2, r));
  });

  it('an agent not yet in the list still gets peers', () => {
    const peers = peersThisRound('node-new', agents(4), 2, 0);
    assert.equal(peers.length, 2);
    assert.ok(peers.every((p) => p.node !== 'node-new'));
  });
});
