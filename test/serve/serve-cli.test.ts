/**
 * `netdoctor serve` as a person runs it: bad flags fail at once with exit 2 and a reason, and
 * the running command shuts down cleanly on Ctrl-C (SIGINT), leaving its history file whole.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { EXAMPLES_DIR } from '../../src/examples/catalog.ts';
import { HistoryStore } from '../../src/serve/history-store.ts';
import { runCli, startCli } from '../support/run-cli.ts';
import { scratchDir } from '../support/scratch-dir.ts';

describe('netdoctor serve flags', () => {
  const bundle = join(EXAMPLES_DIR, 'healthy');
  const cases: [string, string[], RegExp][] = [
    ['a port out of range', ['--bundle', bundle, '--port', '70000'], /--port/],
    ['an interval that is no duration', ['--bundle', bundle, '--interval', 'soon'], /--interval/],
    ['an interval under a second', ['--bundle', bundle, '--interval', '10ms'], /--interval/],
    ['a history bound under 10', ['--bundle', bundle, '--history-max', '3'], /--history-max/],
    [
      '--kubeconfig with --bundle',
      ['--bundle', bundle, '--kubeconfig', '/dev/null'],
      /--kubeconfig applies to a live cluster/,
    ],
    ['a bundle that does not exist', ['--bundle', '/nonexistent/bundle'], /no bundle at/],
  ];
  for (const [what, args, message] of cases) {
    it(`refuses ${what} with exit 2`, () => {
      const r = runCli(['serve', '--port', '0', '--history-db', ':memory:', ...args], { timeoutMs: 30_000 });
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, message);
    });
  }
});

describe('netdoctor serve on a port in use', () => {
  it('says so with exit 2', async () => {
    const taken = createServer();
    taken.listen(0, '127.0.0.1');
    await once(taken, 'listening');
    const { port } = taken.address() as AddressInfo;
    try {
      const r = runCli(
        [
          'serve',
          '--bundle',
          join(EXAMPLES_DIR, 'healthy'),
          '--port',
          String(port),
          '--history-db',
          ':memory:',
        ],
        {
          timeoutMs: 30_000,
        },
      );
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port} \\(EADDRINUSE\\)`));
    } finally {
      taken.close();
    }
  });
});

describe('netdoctor serve on Ctrl-C', () => {
  it('serves, then stops on SIGINT with the history intact', async () => {
    const dir = await scratchDir('ndt-serve-cli-');
    const db = join(dir, 'history.sqlite');
    const run = startCli([
      'serve',
      '--bundle',
      join(EXAMPLES_DIR, 'ip-forward-disabled'),
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--history-db',
      db,
    ]);
    const exited = once(run.child, 'exit');
    const deadline = Date.now() + 30_000;
    let url: string | undefined;
    while (Date.now() < deadline && url === undefined) {
      url = /on (http:\/\/127\.0\.0\.1:\d+)/.exec(run.stderr())?.[1];
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(url, run.stderr());
    while (Date.now() < deadline && (await fetch(`${url}/readyz`)).status !== 200)
      await new Promise((r) => setTimeout(r, 100));
    assert.equal((await fetch(`${url}/readyz`)).status, 200);
    run.child.kill('SIGINT');
    const [code] = await exited;
    assert.equal(code, 130, run.stderr());
    assert.doesNotMatch(run.stderr(), /internal error|cleanup of serve failed/);
    await assert.rejects(fetch(`${url}/healthz`), 'the port is closed');
    const store = HistoryStore.open({ path: db, maxRows: 100 });
    assert.ok(store.list(10).some((i) => i.category === 'node.ip-forward-disabled'));
    store.close();
  });
});
