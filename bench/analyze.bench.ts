/**
 * `npm run bench`: generate (or reuse) a synthetic bundle, then time reading it, parsing it and
 * analyzing it, and check the goals on this machine: analysis <= 10 s, peak RSS <= 2 GB,
 * analysis <= 3x parse time.
 *
 *   node bench/analyze.bench.ts [--quick] [--nodes N] [--pods N] [--services N] [--policies N]
 *                               [--namespaces N] [--iptables-services N] [--seed N] [--json]
 */

import { analyze } from '../src/analyze/engine.ts';
import { readBundleDetailed } from '../src/collect/bundle/read.ts';
import { ensureSynthetic, FULL, QUICK, type SyntheticParams } from './synthetic.ts';

const GOALS = { analysisMs: 10_000, rssBytes: 2 * 1024 ** 3, ratio: 3 };

function parseArgs(argv: string[]): { params: SyntheticParams; json: boolean } {
  const params: SyntheticParams = argv.includes('--quick') ? { ...QUICK } : { ...FULL };
  let json = false;
  const flags: Record<string, keyof SyntheticParams> = {
    '--nodes': 'nodes',
    '--pods': 'pods',
    '--services': 'services',
    '--policies': 'policies',
    '--namespaces': 'namespaces',
    '--iptables-services': 'iptablesServices',
    '--seed': 'seed',
  };
  let servicesSet = false;
  let iptSet = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--quick') continue;
    if (a === '--json') {
      json = true;
      continue;
    }
    const key = flags[a];
    const v = Number(argv[i + 1]);
    if (key === undefined || !Number.isInteger(v) || v < 0) {
      throw new Error(
        `usage: node bench/analyze.bench.ts [--quick] ${Object.keys(flags)
          .map((f) => `[${f} N]`)
          .join(' ')} [--json]`,
      );
    }
    params[key] = v;
    if (key === 'services') servicesSet = true;
    if (key === 'iptablesServices') iptSet = true;
    i++;
  }
  if (servicesSet && !iptSet) params.iptablesServices = params.services;
  return { params, json };
}

const fmt = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

async function main(): Promise<void> {
  const { params, json } = parseArgs(process.argv.slice(2));
  const log = (s: string) => process.stderr.write(`${s}\n`);
  log(`synthetic bundle: ${JSON.stringify(params)}`);
  const dir = await ensureSynthetic(params, log);

  const t0 = performance.now();
  const { snapshot, timings } = await readBundleDetailed(dir);
  const readWall = performance.now() - t0;
  const rssAfterRead = process.memoryUsage().rss;
  const a0 = performance.now();
  const report = analyze(snapshot);
  const analysisMs = performance.now() - a0;
  const rssBytes = process.resourceUsage().maxRSS * 1024;
  const ratio = analysisMs / Math.max(1, timings.parseMs);

  const result = {
    params,
    bundle: dir,
    readMs: Math.round(timings.readMs),
    parseMs: Math.round(timings.parseMs),
    readWallMs: Math.round(readWall),
    analysisMs: Math.round(analysisMs),
    peakRssMB: Math.round(rssBytes / 1024 ** 2),
    rssAfterReadMB: Math.round(rssAfterRead / 1024 ** 2),
    ratio: Math.round(ratio * 100) / 100,
    verdict: report.verdict,
    findings: report.findings.length,
    rootCauses: report.rootCauses.length,
    goals: {
      analysisTime: analysisMs <= GOALS.analysisMs ? 'PASS' : 'FAIL',
      peakRss: rssBytes <= GOALS.rssBytes ? 'PASS' : 'FAIL',
      ratio: ratio <= GOALS.ratio ? 'PASS' : 'FAIL',
    },
  };
  if (json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    const out = [
      `nodes ${params.nodes}, pods ${params.pods}, services ${params.services}, policies ${params.policies}, namespaces ${params.namespaces}`,
      `read time      ${fmt(timings.readMs)}`,
      `parse time     ${fmt(timings.parseMs)}`,
      `analysis time  ${fmt(analysisMs)}   goal <= 10 s   ${result.goals.analysisTime}`,
      `peak RSS       ${result.peakRssMB} MB   goal <= 2048 MB   ${result.goals.peakRss}   (RSS after read: ${result.rssAfterReadMB} MB)`,
      `analysis/parse ${result.ratio.toFixed(2)}x   goal <= 3x   ${result.goals.ratio}`,
      `report: verdict ${report.verdict}, ${report.findings.length} findings, ${report.rootCauses.length} root causes`,
    ];
    process.stdout.write(`${out.join('\n')}\n`);
  }
  if (Object.values(result.goals).includes('FAIL')) process.exitCode = 1;
}

await main();
