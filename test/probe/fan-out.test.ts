import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { peerIndexes, roundCount } from '../../src/probe/fan-out.ts';

const LIMIT = 20;
const K = 10;

describe('bounded fan-out', () => {
  for (const n of [5, 20, 21, 100, 1000]) {
    it(`covers every ordered pair of ${n} nodes exactly once over the rounds, balanced per round`, () => {
      const rounds = roundCount(n, K, LIMIT);
      if (n <= LIMIT) assert.equal(rounds, 1);
      else assert.equal(rounds, Math.ceil((n - 1) / K));
      const seen = new Uint8Array(n * n);
      for (let r = 0; r < rounds; r++) {
        const peers = peerIndexes(n, K, LIMIT, r);
        const inDeg = new Array<number>(n).fill(0);
        const outDeg = peers.map((p) => p.length);
        for (let i = 0; i < n; i++) {
          const ps = peers[i] ?? [];
          assert.equal(new Set(ps).size, ps.length, 'no duplicate peer in a round');
          for (const j of ps) {
            assert.notEqual(j, i, 'a node does not probe itself as a peer');
            seen[i * n + j] = (seen[i * n + j] ?? 0) + 1;
            inDeg[j] = (inDeg[j] ?? 0) + 1;
          }
        }
        // Balance: every node sends and receives the same number of probes this round.
        assert.equal(new Set(outDeg).size, 1, `round ${r}: out-degrees differ`);
        assert.equal(new Set(inDeg).size, 1, `round ${r}: in-degrees differ`);
        assert.equal(inDeg[0], outDeg[0]);
        if (n > LIMIT) assert.ok((outDeg[0] ?? 0) <= K, `round ${r}: at most ${K} peers`);
      }
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) assert.equal(seen[i * n + j], i === j ? 0 : 1, `pair ${i}->${j}`);
    });
  }

  it('full mesh up to 20 nodes, bounded above', () => {
    assert.equal(peerIndexes(20, K, LIMIT, 0)[0]?.length, 19);
    assert.equal(peerIndexes(21, K, LIMIT, 0)[0]?.length, 10);
    assert.equal(peerIndexes(1000, K, LIMIT, 0)[0]?.length, 10);
  });

  it('rounds wrap around', () => {
    assert.deepEqual(
      peerIndexes(100, K, LIMIT, 3),
      peerIndexes(100, K, LIMIT, 3 + roundCount(100, K, LIMIT)),
    );
  });

  it('one node has no peers', () => {
    assert.deepEqual(peerIndexes(1, K, LIMIT, 0), [[]]);
  });
});
