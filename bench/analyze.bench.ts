/**
 * `npm run bench`: generate (or reuse) a synthetic bundle, then measure, each in its own child
 * process (so each peak RSS is that phase's own): parse-only (stream every node through the
 * parsers and drop it, plus the cluster objects) and the full streaming analysis (read, parse,
 * rules, correlation, report), with the rules' own time measured inside it. Checks the goals
 * on this machine: analysis <= 10 s, peak RSS <= 2 GB, analysis <= 2x parse-only time (which reads
 * every distinct content once), and at most 20 KB per node of files of its own (shared/ apart).
 * Bundles are cached under $NETDOCTOR_BENCH_DIR (default /tmp/netdoctor-bench).
 *
 *   node bench/analyze.bench.ts [--quick] [--nodes N] [--pods N] [--services N] [--policies N]
 *                               [--namespaces N] [--iptables-services N] [--seed N] [--json]
 *                               [--whole-iptables]   (the layout bundles had before shared chains)
 *                               [--same-order]       (one KUBE-SERVICES order on every node)
 */

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyzeStream } from '../src/analyze/engine.ts';
import { type BundleManifest, MANIFEST } from '../src/collect/bundle/layout.ts';
import { readBundleStream } from '../src/collect/bundle/read.ts';
import type { NodeDatapath } from '../src/core/datapath-types.ts';
import { ensureSynthetic, FULL, QUICK, type SyntheticParams } from './synthetic.ts';

const GOALS = { analysisMs: 10_000, rssBytes: 2 * 1024 ** 3, ratio: 2, nodeBytes: 20 * 1024 };

/** What one measurement child reports. */
interface Phase {
  wallMs: number;
  /** Main-thread time inside the parsers (JSON.parse, iptables-save, ...). */
  parseMs: number;
  /** Rule time: cluster phase, each node's rules and route row, finish, correlation, report. */
  ruleMs?: number;
  peakRssBytes: number;
  /** User + system CPU time of the child (the machine may be shared; this is load-independent). */
  cpuMs: number;
  nodes: number;
  verdict?: string;
  findings?: number;
  rootCauses?: number;
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Streams every node through the parsers and drops it (plus the cluster objects): parse-only. */
async function parsePhase(dir: string): Promise<Phase> {
  const t0 = performance.now();
  const s = await readBundleStream(dir);
  let nodes = 0;
  for await (const _ of s.nodes) nodes++;
  return {
    wallMs: performance.now() - t0,
    parseMs: s.timings.parseMs,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    cpuMs: cpuMs(),
    nodes,
  };
}

/** Full streaming analysis; the time the consumer spends on each node is measured, not estimated. */
async function analyzePhase(dir: string): Promise<Phase> {
  const t0 = performance.now();
  const s = await readBundleStream(dir);
  let ruleMs = 0;
  let mark = performance.now();
  let nodes = 0;
  async function* timed(it: AsyncIterable<NodeDatapath>): AsyncGenerator<NodeDatapath> {
    ruleMs += performance.now() - mark; // the cluster phase ran before the first pull
    for await (const dp of it) {
      nodes++;
      const t = performance.now();
      yield dp;
      ruleMs += performance.now() - t;
    }
    mark = performance.now();
  }
  const report = await analyzeStream(s.snapshot, timed(s.nodes), s.nodeNames);
  ruleMs += performance.now() - mark; // finish, correlation, report
  return {
    wallMs: performance.now() - t0,
    parseMs: s.timings.parseMs,
    ruleMs,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    cpuMs: cpuMs(),
    nodes,
    verdict: report.verdict,
    findings: report.findings.length,
    rootCauses: report.rootCauses.length,
  };
}

/** Runs one phase in its own process, so that each peak RSS is that phase's alone. */
function child(phase: 'parse' | 'analyze', dir: string): Phase {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', phase, dir], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 20,
  });
  if (r.status !== 0) throw new Error(`${phase} child failed (exit ${r.status ?? r.signal})`);
  return JSON.parse(r.stdout) as Phase;
}

function parseArgs(argv: string[]): { params: SyntheticParams; json: boolean } {
  const params: SyntheticParams = argv.includes('--quick') ? { ...QUICK } : { ...FULL };
  let json = false;
  const flags: Record<string, Exclude<keyof SyntheticParams, 'layout' | 'dispatchOrder'>> = {
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
    if (a === '--whole-iptables') {
      params.layout = 'whole';
      continue;
    }
    if (a === '--same-order') {
      params.dispatchOrder = 'same';
      continue;
    }
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
          .join(' ')} [--whole-iptables] [--same-order] [--json]`,
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
const mb = (b: number): number => Math.round(b / 1024 ** 2);

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--child') {
    const dir = argv[2] as string;
    const r = argv[1] === 'parse' ? await parsePhase(dir) : await analyzePhase(dir);
    process.stdout.write(JSON.stringify(r));
    return;
  }
  const { params, json } = parseArgs(argv);
  const log = (s: string) => process.stderr.write(`${s}\n`);
  log(`synthetic bundle: ${JSON.stringify(params)}`);
  const dir = await ensureSynthetic(params, log);
  const bundleBytes = Number(spawnSync('du', ['-sb', dir], { encoding: 'utf8' }).stdout.split('\t')[0]);
  // File bytes as the manifest lists them (directory entries are not collected data).
  const listed = (JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8')) as BundleManifest).files;
  const bytesUnder = (prefix: string): number =>
    listed.filter((f) => f.path.startsWith(prefix)).reduce((n, f) => n + f.bytes, 0);
  const nodeBytes = bytesUnder('nodes/');
  const sharedBytes = bytesUnder('shared/');
  log('parse-only run ...');
  const parse = child('parse', dir);
  log('analysis run ...');
  const analysis = child('analyze', dir);
  const ratio = analysis.wallMs / Math.max(1, parse.wallMs);
  const peak = Math.max(parse.peakRssBytes, analysis.peakRssBytes);
  const result = {
    params,
    bundle: dir,
    bundleMB: mb(bundleBytes),
    sharedMB: mb(sharedBytes),
    bytesPerNode: Math.round(nodeBytes / Math.max(1, params.nodes)),
    parseOnly: {
      wallMs: Math.round(parse.wallMs),
      parserMs: Math.round(parse.parseMs),
      cpuMs: Math.round(parse.cpuMs),
      peakRssMB: mb(parse.peakRssBytes),
    },
    analysis: {
      wallMs: Math.round(analysis.wallMs),
      parserMs: Math.round(analysis.parseMs),
      ruleMs: Math.round(analysis.ruleMs ?? 0),
      cpuMs: Math.round(analysis.cpuMs),
      peakRssMB: mb(analysis.peakRssBytes),
    },
    ratio: Math.round(ratio * 100) / 100,
    verdict: analysis.verdict,
    findings: analysis.findings,
    rootCauses: analysis.rootCauses,
    goals: {
      analysisTime: analysis.wallMs <= GOALS.analysisMs ? 'PASS' : 'FAIL',
      peakRss: peak <= GOALS.rssBytes ? 'PASS' : 'FAIL',
      ratio: ratio <= GOALS.ratio ? 'PASS' : 'FAIL',
      bytesPerNode: nodeBytes / Math.max(1, params.nodes) <= GOALS.nodeBytes ? 'PASS' : 'FAIL',
    },
  };
  if (json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    const out = [
      `nodes ${params.nodes}, pods ${params.pods}, services ${params.services}, policies ${params.policies}, namespaces ${params.namespaces}; bundle ${result.bundleMB} MB at ${dir}`,
      `stored once   ${result.sharedMB} MB under shared/; per node ${(result.bytesPerNode / 1024).toFixed(1)} KB of its own files`,
      `parse only     ${fmt(parse.wallMs)} wall (parsers ${fmt(parse.parseMs)}, CPU ${fmt(parse.cpuMs)})   peak RSS ${result.parseOnly.peakRssMB} MB`,
      `analysis       ${fmt(analysis.wallMs)} wall (parsers ${fmt(analysis.parseMs)}, rules ${fmt(analysis.ruleMs ?? 0)}, CPU ${fmt(analysis.cpuMs)})   peak RSS ${result.analysis.peakRssMB} MB`,
      `goal: analysis <= 10 s      ${result.goals.analysisTime}`,
      `goal: peak RSS <= 2048 MB   ${result.goals.peakRss}`,
      `goal: analysis/parse ${result.ratio.toFixed(2)}x <= 2x   ${result.goals.ratio}`,
      `goal: per node <= 20 KB     ${result.goals.bytesPerNode}`,
      `report: verdict ${analysis.verdict}, ${analysis.findings} findings, ${analysis.rootCauses} root causes`,
    ];
    process.stdout.write(`${out.join('\n')}\n`);
  }
  if (Object.values(result.goals).includes('FAIL')) process.exitCode = 1;
}

await main();
