/**
 * scripts/first-failures.awk, which ends a failed live phase with the failures in a line each:
 * run on the TAP report of a real `node --test` run of a file with passing and failing tests.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';

const ROOT = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'ndt-first-failures-'));

const SUITE = `import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
describe('a suite', () => {
  it('passes', () => {});
  it('fails with a one-line message', () => assert.equal(1, 2, 'one is not two'));
  it('fails with a two-line message', () => assert.ok(false, 'first line\\nsecond line'));
});
it('fails at the top', () => { throw new Error('boom'); });
it('passes too', () => {});
`;

describe('scripts/first-failures.awk', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("prints each failed test and its message's first line, in order; no suite roll-up, no passes", () => {
    writeFileSync(join(dir, 'sample.test.mjs'), SUITE);
    const tap = join(dir, 'out.tap');
    // Without the parent runner's context, so the child reports to its own destination.
    const env = { ...process.env };
    delete env['NODE_TEST_CONTEXT'];
    const run = spawnSync(
      process.execPath,
      ['--test', '--test-reporter=tap', `--test-reporter-destination=${tap}`, join(dir, 'sample.test.mjs')],
      { encoding: 'utf8', env },
    );
    assert.equal(run.status, 1, 'the sample run fails');
    const out = spawnSync('awk', ['-f', join(ROOT, 'scripts/first-failures.awk'), tap], { encoding: 'utf8' });
    assert.equal(out.status, 0, out.stderr);
    assert.deepEqual(out.stdout.trimEnd().split('\n'), [
      '  fails with a one-line message: one is not two',
      '  fails with a two-line message: first line',
      "  fails at the top: 'boom'",
    ]);
  });
});
