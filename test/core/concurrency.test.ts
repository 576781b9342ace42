import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mapLimit } from '../../src/core/concurrency.ts';

describe('mapLimit', () => {
  it('keeps order and never runs more than the limit at once', async () => {
    let running = 0;
    let peak = 0;
    const items = Array.from({ length: 200 }, (_, i) => i);
    const out = await mapLimit(items, 7, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, n % 3));
      running--;
      return n * 2;
    });
    assert.deepEqual(
      out,
      items.map((n) => n * 2),
    );
    assert.equal(peak, 7);
  });

  it('propagates a failure', async () => {
    await assert.rejects(
      mapLimit([1, 2, 3], 2, async (n) => {
        if (n === 2) throw new Error('boom');
        return n;
      }),
      /boom/,
    );
  });
});
