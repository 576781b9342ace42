/**
 * `netdoctor serve` for real: the server started as the command starts it, on 127.0.0.1 and a
 * free port, over the recorded example bundles, each endpoint fetched over HTTP.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { analyzeBundle } from '../../src/analyze/analyze-bundle.ts';
import type { Report } from '../../src/core/model.ts';
import { EXAMPLES_DIR } from '../../src/examples/catalog.ts';
import { validateReport } from '../../src/report/index.ts';
import { BundleSource } from '../../src/serve/bundle-source.ts';
import type { ReportSource } from '../../src/serve/report-source.ts';
import { type RunningServe, startServe } from '../../src/serve/serve.ts';
import { scratchDir } from '../support/scratch-dir.ts';

const HOUR = 3_600_000;
const running: RunningServe[] = [];
after(async () => {
  for (const s of running) await s.close();
});

async function serve(source: ReportSource, historyPath: string): Promise<RunningServe> {
  const s = await startServe({
    source,
    host: '127.0.0.1',
    port: 0,
    // Rounds are driven by the test (runOnce); the interval never fires within it.
    intervalMs: HOUR,
    roundTimeoutMs: 60_000,
    historyPath,
    historyMaxRows: 1000,
    log: () => {},
  });
  running.push(s);
  return s;
}

async function get(url: string): Promise<{ status: number; headers: Headers; text: string }> {
  const r = await fetch(url);
  return { status: r.status, headers: r.headers, text: await r.text() };
}

/** Each sample line of the Prometheus text format: name{labels} value. */
const SAMPLE =
  /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})? -?(\d+(\.\d+)?(e[+-]?\d+)?|NaN|\+Inf|-Inf)$/;

function checkExposition(text: string): void {
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    assert.match(line, SAMPLE);
  }
}

describe('netdoctor serve over a recorded bundle', async () => {
  const dir = await scratchDir('ndt-serve-');
  const s = await serve(new BundleSource(join(EXAMPLES_DIR, 'vxlan-port-blocked')), join(dir, 'h.sqlite'));
  await s.firstRound;

  it('/healthz and /readyz answer once the first report exists', async () => {
    assert.equal((await get(`${s.url}/healthz`)).status, 200);
    assert.equal((await get(`${s.url}/readyz`)).status, 200);
  });

  it('/api/report is the report of `diagnose -o json`, valid against the JSON Schema', async () => {
    const r = await get(`${s.url}/api/report`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(r.headers.get('x-netdoctor-report-state'), 'fresh');
    const report = JSON.parse(r.text) as Report;
    assert.deepEqual(validateReport(report), { valid: true });
    assert.ok(
      report.rootCauses.some(
        (rc) => rc.category === 'overlay.port-blocked' && rc.subject.name === 'ndlab-node2',
      ),
    );
  });

  it('/api/history lists the root cause as an open incident', async () => {
    const r = await get(`${s.url}/api/history`);
    const { incidents } = JSON.parse(r.text) as {
      incidents: { category: string; appearedAt: string; resolvedAt?: string }[];
    };
    const blocked = incidents.find((i) => i.category === 'overlay.port-blocked');
    assert.ok(blocked);
    assert.equal(blocked.resolvedAt, undefined);
    assert.equal((await get(`${s.url}/api/history?limit=0`)).status, 400);
    assert.equal((await get(`${s.url}/api/history?limit=abc`)).status, 400);
    assert.equal((await get(`${s.url}/api/history?limit=5`)).status, 200);
  });

  it('/api/view has the node×node probe matrix and the nodes with their findings', async () => {
    const view = JSON.parse((await get(`${s.url}/api/view`)).text) as {
      nodes: { name: string; health: string }[];
      probes: { nodes: string[]; pairs: { from: string; to: string; loss: number }[] };
    };
    assert.deepEqual(view.probes.nodes, ['ndlab-node1', 'ndlab-node2', 'ndlab-node3']);
    assert.equal(view.probes.pairs.find((p) => p.from === 'ndlab-node2' && p.to === 'ndlab-node3')?.loss, 1);
    assert.equal(view.probes.pairs.find((p) => p.from === 'ndlab-node1' && p.to === 'ndlab-node3')?.loss, 0);
    assert.equal(view.nodes.find((n) => n.name === 'ndlab-node2')?.health, 'problem');
  });

  it("/api/node is one node's drill-down; an unknown or missing name is a clear 404 or 400", async () => {
    const r = await get(`${s.url}/api/node?name=ndlab-node2`);
    assert.equal(r.status, 200);
    const d = JSON.parse(r.text) as {
      name: string;
      routes: unknown[];
      probesFrom: { to: string; loss: number }[];
    };
    assert.equal(d.name, 'ndlab-node2');
    assert.equal(d.routes.length, 2);
    assert.equal(d.probesFrom.find((p) => p.to === 'ndlab-node3')?.loss, 1);
    const unknown = await get(`${s.url}/api/node?name=no-such-node`);
    assert.equal(unknown.status, 404);
    assert.match(unknown.text, /no node no-such-node/);
    assert.equal((await get(`${s.url}/api/node`)).status, 400);
    assert.equal((await get(`${s.url}/api/node?name=${'x'.repeat(254)}`)).status, 400);
  });

  it('/metrics is Prometheus text: verdict, root causes by category and subject, timings, probe pairs', async () => {
    const r = await get(`${s.url}/metrics`);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    checkExposition(r.text);
    assert.match(r.text, /^netdoctor_verdict\{verdict="degraded"\} 1$/m);
    assert.match(
      r.text,
      /^netdoctor_root_cause\{category="overlay\.port-blocked",subject_kind="Node",subject_namespace="",subject="ndlab-node2"\} 1$/m,
    );
    assert.match(
      r.text,
      /^netdoctor_probe_pair_loss_ratio\{from_node="ndlab-node2",to_node="ndlab-node3"\} 1$/m,
    );
    assert.match(r.text, /^netdoctor_last_analysis_duration_seconds \d/m);
    assert.match(r.text, /^netdoctor_analyses_total\{result="ok"\} 1$/m);
    assert.match(r.text, /^process_resident_memory_bytes \d+/m);
  });

  it('promtool check metrics accepts /metrics (skipped without promtool)', async (t) => {
    if (spawnSync('promtool', ['--version']).error) {
      t.skip('promtool is not installed (Debian package prometheus)');
      return;
    }
    const text = (await get(`${s.url}/metrics`)).text;
    const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  });

  it('/api/events sends the status and the current report at once', async () => {
    const abort = new AbortController();
    const r = await fetch(`${s.url}/api/events`, { signal: abort.signal });
    assert.match(r.headers.get('content-type') ?? '', /^text\/event-stream/);
    const reader = (r.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (
      !text.includes('event: report\n') ||
      !text.slice(text.indexOf('event: report\n')).includes('\n\n')
    ) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    abort.abort();
    const data = text.slice(text.indexOf('event: report\n')).split('\n')[1] ?? '';
    const report = JSON.parse(data.replace(/^data: /, '')) as Report;
    assert.equal(report.verdict, 'degraded');
  });

  it('/ is the self-contained dashboard, with a CSP that admits only its own inline parts', async () => {
    const r = await get(`${s.url}/`);
    assert.equal(r.status, 200);
    const csp = r.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'sha256-/);
    assert.doesNotMatch(r.text, /(src|href)="(https?:)?\/\//, 'nothing is fetched from elsewhere');
    assert.match(r.text, /id="verdict"/);
  });

  it('answers only GET and HEAD on known paths, with bounded URLs', async () => {
    assert.equal((await fetch(`${s.url}/api/report`, { method: 'POST', body: 'x' })).status, 405);
    assert.equal((await get(`${s.url}/nope`)).status, 404);
    assert.equal((await get(`${s.url}/api/report?${'a'.repeat(3000)}`)).status, 414);
    const head = await fetch(`${s.url}/api/report`, { method: 'HEAD' });
    assert.equal(head.status, 200);
  });
});

describe('netdoctor serve when the analysis fails', async () => {
  const dir = await scratchDir('ndt-serve-');
  const bundle = join(dir, 'bundle');
  const s = await serve(new BundleSource(bundle), join(dir, 'h.sqlite'));
  await s.firstRound;

  it('is alive but not ready before a first report, and says why', async () => {
    assert.equal((await get(`${s.url}/healthz`)).status, 200);
    assert.equal((await get(`${s.url}/readyz`)).status, 503);
    const r = await get(`${s.url}/api/report`);
    assert.equal(r.status, 503);
    const body = JSON.parse(r.text) as { status: { state: string; lastError?: { message: string } } };
    assert.equal(body.status.state, 'waiting');
    assert.ok(body.status.lastError?.message);
  });

  it('keeps the last report when a later analysis fails, marked stale, and never healthy', async () => {
    await cp(join(EXAMPLES_DIR, 'healthy'), bundle, { recursive: true });
    await s.controller.runOnce();
    const fresh = JSON.parse((await get(`${s.url}/api/report`)).text) as Report;
    assert.equal(fresh.verdict, 'healthy');

    await rm(bundle, { recursive: true });
    await s.controller.runOnce();
    const r = await get(`${s.url}/api/report`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('x-netdoctor-report-state'), 'stale');
    const stale = JSON.parse(r.text) as Report;
    assert.deepEqual(validateReport(stale), { valid: true });
    assert.equal(stale.verdict, 'inconclusive');
    assert.match(stale.coverage.shortfalls[0] ?? '', /latest analysis failed/);
    const metrics = (await get(`${s.url}/metrics`)).text;
    assert.match(metrics, /^netdoctor_report_stale 1$/m);
    assert.match(metrics, /^netdoctor_analyses_total\{result="error"\} 2$/m);
    assert.match(metrics, /^netdoctor_verdict\{verdict="inconclusive"\} 1$/m);
  });
});

describe('netdoctor serve restarts', () => {
  it('keeps the incident history across a restart', async () => {
    const dir = await scratchDir('ndt-serve-');
    const db = join(dir, 'history.sqlite');
    const first = await serve(new BundleSource(join(EXAMPLES_DIR, 'ip-forward-disabled')), db);
    await first.firstRound;
    const before = JSON.parse((await get(`${first.url}/api/history`)).text) as { incidents: unknown[] };
    assert.ok(before.incidents.length > 0);
    await first.close();

    // The restarted controller's first analysis is held until the history has been read, so
    // what is read is what the restart kept, whichever finishes first.
    const healthy = new BundleSource(join(EXAMPLES_DIR, 'healthy'));
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const held: ReportSource = {
      description: healthy.description,
      produce: async () => {
        await gate;
        return healthy.produce();
      },
      close: () => healthy.close(),
    };
    const second = await serve(held, db);
    const kept = JSON.parse((await get(`${second.url}/api/history`)).text) as { incidents: unknown[] };
    assert.deepEqual(kept, before, 'the history is there before the first new report');
    release();
    await second.firstRound;
    const after = JSON.parse((await get(`${second.url}/api/history`)).text) as {
      incidents: { resolvedAt?: string }[];
    };
    assert.ok(
      after.incidents.every((i) => i.resolvedAt !== undefined),
      'the healthy cluster resolves them',
    );
  });
});

describe('what serve hands out is redacted', () => {
  it('a secret in a report (evidence, summary) never reaches /api/report, /api/history or /metrics', async () => {
    const base = await analyzeBundle(join(EXAMPLES_DIR, 'ip-forward-disabled'));
    const secret = 'ghp_0123456789abcdefghijklmnopqrstuvwxyzAB';
    const rc = base.rootCauses[0];
    assert.ok(rc);
    const leaky: Report = {
      ...base,
      rootCauses: [
        {
          ...rc,
          summary: `${rc.summary} (GITHUB_TOKEN=${secret})`,
          evidence: [{ source: 'x', observed: `token: ${secret}` }],
        },
      ],
    };
    // The port a source stands behind, with a report carrying a secret: no bundle rule quotes one.
    const source: ReportSource = { description: 'test', produce: async () => leaky, close: async () => {} };
    const s = await serve(source, ':memory:');
    await s.firstRound;
    for (const path of [
      '/api/report',
      '/api/history',
      '/metrics',
      '/api/view',
      `/api/node?name=${rc.subject.name}`,
    ]) {
      const text = (await get(`${s.url}${path}`)).text;
      assert.ok(!text.includes(secret), `${path} leaks the secret`);
    }
    assert.match((await get(`${s.url}/api/report`)).text, /REDACTED/);
  });
});
