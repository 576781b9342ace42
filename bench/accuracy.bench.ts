/**
 * Diagnosis accuracy on faults nobody catalogued: runs N seeds of `lab break --random` on the
 * running lab (break, diagnose, score, heal) and prints, per seed, what was broken and what the
 * diagnosis named first, then top-1 category and subject accuracy, false root causes per run
 * and time per diagnosis, with PASS or FAIL against the 90% goal.
 *
 *   sudo node bench/accuracy.bench.ts [--seeds N] [--from S] [--json]   (needs `netdoctor lab up`)
 */
import { summarize } from '../src/lab/random/score.ts';
import { runSeed, type SeedResult, seedLine } from '../test/lab/accuracy-runner.ts';

const GOAL = 0.9;
const args = process.argv.slice(2);
const flag = (name: string, fallback: number): number => {
  const i = args.indexOf(name);
  const n = i < 0 ? fallback : Number(args[i + 1]);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name} needs a whole number`);
  return n;
};
const seeds = flag('--seeds', 50);
const from = flag('--from', 1);

const results: SeedResult[] = [];
const t0 = performance.now();
for (let seed = from; seed < from + seeds; seed++) {
  const r = await runSeed(seed);
  results.push(r);
  process.stdout.write(`${seedLine(r)}\n`);
}
const s = summarize(results.map((r) => r.score));
const diag = results.map((r) => r.diagnoseMs).sort((a, b) => a - b);
const median = diag[Math.floor(diag.length / 2)] ?? 0;
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const verdict = (x: number) => (x >= GOAL ? 'PASS' : 'FAIL');
process.stdout.write(
  [
    '',
    `seeds ${from}..${from + seeds - 1}: ${s.runs} runs, ${new Set(results.map((r) => r.truth.shape)).size} distinct shapes, ${new Set(results.map((r) => r.truth.layer)).size} layers, ${((performance.now() - t0) / 60_000).toFixed(1)} min`,
    `top-1 category  ${pct(s.top1Category)}  ${verdict(s.top1Category)} (goal ${pct(GOAL)})`,
    `top-1 subject   ${pct(s.top1Subject)}  ${verdict(s.top1Subject)} (goal ${pct(GOAL)})`,
    `false root causes per run  ${s.falseRootCausesPerRun.toFixed(2)}`,
    `diagnosis time  median ${(median / 1000).toFixed(1)} s, max ${((diag.at(-1) ?? 0) / 1000).toFixed(1)} s`,
    '',
  ].join('\n'),
);
if (args.includes('--json')) process.stdout.write(`${JSON.stringify({ summary: s, results }, null, 2)}\n`);
