/** The progress display: spinner on a TTY, one plain line per phase elsewhere, never escapes there. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createProgress, type ProgressStream } from '../../src/report/progress.ts';

function sink(isTTY: boolean): ProgressStream & { text: () => string } {
  const chunks: string[] = [];
  return { isTTY, write: (c: string) => chunks.push(c), text: () => chunks.join('') };
}

/** A clock that advances by `step` ms each time it is read. */
function clock(step: number): () => number {
  let t = 0;
  return () => {
    t += step;
    return t;
  };
}

describe('progress', () => {
  it('writes one plain line per finished phase to a non-TTY, with no escape codes', () => {
    const out = sink(false);
    const p = createProgress(out, { now: clock(600) });
    p.phase('collect');
    p.done('collect', '12 files');
    p.phase('probe', 'pod-to-pod');
    p.fail('probe', 'probe pods did not start');
    p.skip('repair', 'read-only run');
    p.note('bundle written to out/2025-10-13T22-13-02');
    p.stop();
    assert.equal(
      out.text(),
      '[ok  ] collect: 12 files (0.6s)\n' +
        '[FAIL] probe: probe pods did not start (0.6s)\n' +
        '[skip] repair: read-only run\n' +
        'bundle written to out/2025-10-13T22-13-02\n',
    );
    assert.ok(!out.text().includes('\u001b'));
  });

  it('draws a spinner on a TTY and replaces it with the result line', () => {
    const out = sink(true);
    const p = createProgress(out, { now: clock(1000), color: false, intervalMs: 5 });
    p.phase('analyze', '40 rules');
    p.done('analyze', '6 findings');
    p.stop();
    const text = out.text();
    assert.match(text, /\r\u001b\[2K⠋ analyze 40 rules 1\.0s/);
    assert.match(text, /\r\u001b\[2K✓ analyze {2}6 findings \(2\.0s\)\n$/);
  });

  it('animates while a phase runs and stops its timer when done', async () => {
    const out = sink(true);
    const p = createProgress(out, { color: false, intervalMs: 5 });
    p.phase('collect');
    // Waits for frames rather than a fixed time: a loaded machine runs timers late.
    const frames = () => out.text().match(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/g) ?? [];
    for (let waited = 0; frames().length < 3 && waited < 5_000; waited += 10)
      await new Promise((resolve) => setTimeout(resolve, 10));
    p.done('collect');
    assert.ok(frames().length >= 3, `expected several spinner frames, got ${frames().length}`);
    const after = out.text().length;
    await new Promise((resolve) => setTimeout(resolve, 25));
    assert.equal(out.text().length, after, 'nothing is drawn after the last phase ends');
  });
});
