/**
 * `npm run bench:serve`: the controller's figures on the recorded example bundles. For each
 * example, `netdoctor serve --bundle` starts as a person starts it (its own process, on
 * 127.0.0.1 and a free port, re-analyzing every second); the bench prints the time from start
 * to a listening server and to the first report (/readyz 200), the process's RSS then, and its
 * RSS and V8 heap after `--seconds` of rounds, read from the server's own /metrics.
 *
 *   node bench/serve.bench.ts [--example ID]... [--seconds N] [--json]
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { EXAMPLES_DIR } from '../src/examples/catalog.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface Figures {
  example: string;
  listenMs: number;
  firstReportMs: number;
  rssAfterFirstMB: number;
  rounds: number;
  rssAfterMB: number;
  heapUsedAfterMB: number;
  lastRoundMs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function gauge(metrics: string, name: string): number {
  const m = new RegExp(`^${name.replace(/[{}"=]/g, '\\$&')} (\\S+)$`, 'm').exec(metrics);
  return m ? Number(m[1]) : Number.NaN;
}

async function measure(example: string, seconds: number): Promise<Figures> {
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [
      'src/cli/main.ts',
      'serve',
      '--bundle',
      join(EXAMPLES_DIR, example),
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--interval',
      '1s',
      '--history-db',
      ':memory:',
    ],
    { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  try {
    let url: string | undefined;
    while (url === undefined) {
      if (child.exitCode !== null) throw new Error(`serve exited: ${stderr}`);
      url = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr)?.[1];
      if (url === undefined) await sleep(10);
    }
    const listenMs = performance.now() - t0;
    while ((await fetch(`${url}/readyz`)).status !== 200) await sleep(10);
    const firstReportMs = performance.now() - t0;
    const first = await (await fetch(`${url}/metrics`)).text();
    await sleep(seconds * 1000);
    const later = await (await fetch(`${url}/metrics`)).text();
    return {
      example,
      listenMs: Math.round(listenMs),
      firstReportMs: Math.round(firstReportMs),
      rssAfterFirstMB: Math.round(gauge(first, 'process_resident_memory_bytes') / 2 ** 20),
      rounds: gauge(later, 'netdoctor_analyses_total{result="ok"}'),
      rssAfterMB: Math.round(gauge(later, 'process_resident_memory_bytes') / 2 ** 20),
      heapUsedAfterMB: Math.round(gauge(later, 'nodejs_heap_size_used_bytes') / 2 ** 20),
      lastRoundMs: Math.round(gauge(later, 'netdoctor_last_analysis_duration_seconds') * 1000),
    };
  } finally {
    child.kill('SIGINT');
  }
}

const { values } = parseArgs({
  options: {
    example: { type: 'string', multiple: true },
    seconds: { type: 'string', default: '30' },
    json: { type: 'boolean', default: false },
  },
});
const examples = values.example ?? ['healthy', 'vxlan-port-blocked', 'flannel-agent-stalled'];
const results: Figures[] = [];
for (const ex of examples) results.push(await measure(ex, Number(values.seconds)));
if (values.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
else
  for (const r of results)
    process.stdout.write(
      `${r.example.padEnd(24)} listening ${r.listenMs} ms, first report ${r.firstReportMs} ms, ` +
        `RSS ${r.rssAfterFirstMB} MB; after ${r.rounds} rounds: RSS ${r.rssAfterMB} MB, heap used ${r.heapUsedAfterMB} MB, last round ${r.lastRoundMs} ms\n`,
    );
