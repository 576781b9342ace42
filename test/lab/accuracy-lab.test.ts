/**
 * CI's sample of the accuracy benchmark: a fixed run of `lab break --random` seeds on the real
 * lab, each broken, diagnosed, scored and healed. Fails under 90% top-1 category or subject
 * accuracy, naming every miss. `node bench/accuracy.bench.ts --seeds 50` is the full run.
 * NETDOCTOR_ACCURACY_SEEDS=a-b picks another range.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { summarize } from '../../src/lab/random/score.ts';
import { runSeed, type SeedResult, seedLine } from './accuracy-runner.ts';

const enabled = process.env['NETDOCTOR_LAB'] === '1';
const GOAL = 0.9;
/** Seeds 1-8: the shapes they draw span every layer of the generator (see its unit test). */
const [from, to] = (process.env['NETDOCTOR_ACCURACY_SEEDS'] ?? '1-8').split('-').map(Number);

describe('diagnosis accuracy on randomized faults (lab sample)', {
  skip: enabled ? false : 'needs the lab (NETDOCTOR_LAB=1, as scripts/test.sh sets)',
}, () => {
  it(`seeds ${from}-${to}: top-1 category and subject at ${GOAL * 100}% or better`, {
    timeout: 30 * 60_000,
  }, async () => {
    assert.ok(from !== undefined && to !== undefined && from <= to, 'NETDOCTOR_ACCURACY_SEEDS is a-b');
    const results: SeedResult[] = [];
    for (let seed = from; seed <= to; seed++) results.push(await runSeed(seed));
    const s = summarize(results.map((r) => r.score));
    const table = results.map(seedLine).join('\n');
    process.stdout.write(`${table}\n`);
    assert.ok(s.top1Category >= GOAL, `top-1 category ${s.top1Category}:\n${table}`);
    assert.ok(s.top1Subject >= GOAL, `top-1 subject ${s.top1Subject}:\n${table}`);
  });
});
