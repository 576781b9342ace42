/**
 * The CLI's exit code for what could not be seen: `analyze` and `fix` on a bundle whose pod list
 * was never collected exit 5 and say why, where they used to find problems (or none) in the hole.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Report } from '../../src/core/model.ts';
import { EXAMPLES_DIR } from '../../src/examples/catalog.ts';

function cli(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['src/cli/main.ts', ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

describe('exit 5 when too little was seen', () => {
  let dir: string;
  before(async () => {
    dir = join(await mkdtemp(join(tmpdir(), 'nd-inconclusive-')), 'bundle');
    await cp(join(EXAMPLES_DIR, 'healthy'), dir, { recursive: true });
    await rm(join(dir, 'cluster/pods.json'));
  });
  after(async () => {
    await rm(join(dir, '..'), { recursive: true, force: true });
  });

  it('analyze: inconclusive, no finding from the missing file, the shortfall named', () => {
    const r = cli(['analyze', dir, '-o', 'json']);
    assert.equal(r.code, 5, r.stderr);
    const report = JSON.parse(r.stdout) as Report;
    assert.equal(report.verdict, 'inconclusive');
    assert.deepEqual(report.rootCauses, []);
    assert.ok(report.coverage.rules.skipped.some((s) => s.notCollected.includes('cluster/pods.json')));
    const text = cli(['analyze', dir]);
    assert.match(text.stdout, /^netdoctor: INCONCLUSIVE/);
    assert.match(text.stdout, /Too little was seen to call the cluster healthy/);
  });

  it('fix --dry-run: nothing to repair is not healthy when the diagnosis is inconclusive', () => {
    const r = cli(['fix', '--dry-run', '--bundle', dir]);
    assert.equal(r.code, 5, r.stderr);
    assert.match(
      r.stderr,
      /inconclusive: \d+ of \d+ applicable rule\(s\) skipped because their inputs were not collected/,
    );
  });

  it('the healthy example itself still exits 0', () => {
    assert.equal(cli(['analyze', join(EXAMPLES_DIR, 'healthy')]).code, 0);
  });
});
