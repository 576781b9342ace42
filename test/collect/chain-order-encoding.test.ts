/**
 * A node's own order of shared dispatch rules, as the bundle stores it: whatever the order and
 * its size (across byte boundaries and index widths), it reads back exactly as written.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeOrder, encodeOrder } from '../../src/collect/bundle/shared-chains.ts';

describe('chain order encoding', () => {
  it('reads back every order it writes', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 70_000 }), { maxLength: 300 }), (order) => {
        assert.deepEqual(decodeOrder(encodeOrder(order)), order);
      }),
      { numRuns: 500 },
    );
  });

  it('packs 5,000 indices at 13 bits, and writes indices past 23 bits in decimal', () => {
    const order = Array.from({ length: 5000 }, (_, i) => (i * 7919) % 5000);
    const text = encodeOrder(order);
    assert.match(text, /^b13\.5000:/);
    assert.equal(Buffer.from(text.slice(text.indexOf(':') + 1), 'base64').length, Math.ceil((5000 * 13) / 8));
    assert.deepEqual(decodeOrder(text), order);
    const wide = [0, 2 ** 24, 5];
    assert.equal(encodeOrder(wide), '0,16777216,5');
    assert.deepEqual(decodeOrder(encodeOrder(wide)), wide);
  });
});
