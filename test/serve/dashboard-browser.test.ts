/**
 * The dashboard in a real browser: Debian's Chromium, driven by playwright-core, loads the page
 * from a real `serve` on 127.0.0.1 and must show the verdict banner, the root cause with its
 * evidence, the probe heatmap, the incident timeline and the nodes; then a new report pushed
 * over the event stream must re-render it, and a failed analysis must show as stale. Screenshots go to test-artifacts/ (git-ignored).
 * Without Chromium the test is skipped, and says so.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { cp, mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { EXAMPLES_DIR } from '../../src/examples/catalog.ts';
import { BundleSource } from '../../src/serve/bundle-source.ts';
import { type RunningServe, startServe } from '../../src/serve/serve.ts';
import { scratchDir } from '../support/scratch-dir.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = resolve(import.meta.dirname, '../../test-artifacts/dashboard');

describe('the dashboard in Chromium', () => {
  let serve: RunningServe | undefined;
  after(async () => {
    await serve?.close();
  });

  it('shows the verdict, root causes, heatmap, timeline and nodes, and follows a new report live', async (t) => {
    if (!existsSync(CHROMIUM)) {
      t.skip(`no Chromium at ${CHROMIUM} (Debian package chromium)`);
      return;
    }
    const { chromium } = await import('playwright-core');
    const dir = await scratchDir('ndt-dashboard-');
    const bundle = join(dir, 'bundle');
    await cp(join(EXAMPLES_DIR, 'vxlan-port-blocked'), bundle, { recursive: true });
    serve = await startServe({
      source: new BundleSource(bundle),
      host: '127.0.0.1',
      port: 0,
      intervalMs: 3_600_000,
      roundTimeoutMs: 60_000,
      historyPath: join(dir, 'history.sqlite'),
      historyMaxRows: 100,
      log: () => {},
    });
    await serve.firstRound;
    await mkdir(ARTIFACTS, { recursive: true });

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 1400 } });
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(`console: ${m.text()}`);
      });
      // The page may talk to its own origin only.
      page.on('request', (r) => {
        if (!r.url().startsWith(serve?.url ?? '')) problems.push(`request elsewhere: ${r.url()}`);
      });
      await page.goto(serve.url);
      await page.waitForSelector('body[data-rendered]:not([data-rendered="none"])', { timeout: 15_000 });

      assert.equal(await page.textContent('#verdict'), 'DEGRADED');
      assert.match((await page.getAttribute('#banner', 'class')) ?? '', /\bdegraded\b/);
      const card = page.locator('#root-causes article.rc[data-category="overlay.port-blocked"]');
      assert.equal(await card.count(), 1);
      assert.match((await card.textContent()) ?? '', /ndlab-node2/);
      assert.ok((await card.locator('table.evidence tr').count()) > 1, 'evidence rows');
      assert.equal(await page.locator('#heatmap table tr').count(), 4, 'a header row and one row per node');
      assert.ok((await page.locator('#heatmap td.lat-down').count()) >= 2, 'the blocked pairs show as down');
      assert.match((await page.textContent('#timeline')) ?? '', /overlay\.port-blocked/);
      assert.match((await page.getAttribute('#nodes li[data-node="ndlab-node2"]', 'class')) ?? '', /problem/);

      // The topology: every node with its pod subnet; the path the blocked port cuts (node2's
      // VXLAN from node3) is down, the others up.
      assert.equal(await page.locator('#topology svg g.node').count(), 3);
      assert.match(
        (await page.getAttribute('#topology g.node[data-node="ndlab-node2"]', 'class')) ?? '',
        /problem/,
      );
      assert.match(
        (await page.textContent('#topology g.node[data-node="ndlab-node2"]')) ?? '',
        /10\.244\.\d+\.0\/24/,
      );
      assert.equal(await page.locator('#topology line.link').count(), 3, 'one line per pair');
      const down = await page
        .locator('#topology line.link.down')
        .evaluateAll((ls) => ls.map((l) => `${l.getAttribute('data-a')}-${l.getAttribute('data-b')}`));
      assert.deepEqual(down, ['ndlab-node2-ndlab-node3']);
      assert.equal(await page.locator('#topology line.link.ok').count(), 2);

      // Drill-down: choosing the node shows its routes, its probes both ways and its findings.
      await page.click('#topology g.node[data-node="ndlab-node2"]');
      await page.waitForSelector('#node-detail[data-node="ndlab-node2"] h3');
      const detail = (await page.textContent('#node-detail')) ?? '';
      assert.match(detail, /ndlab-node2/);
      assert.match(detail, /No agent reports for this node/);
      assert.equal(await page.locator('#node-detail table').count(), 2, 'routes and probes');
      assert.match(detail, /flannel\.1/, 'the routes through the overlay device');
      assert.match(detail, /100% loss/);
      assert.match(detail, /overlay/i);
      assert.match(
        (await page.getAttribute('#nodes li[data-node="ndlab-node2"]', 'class')) ?? '',
        /selected/,
      );
      await page.screenshot({ path: join(ARTIFACTS, 'vxlan-port-blocked.png'), fullPage: true });

      // The cluster heals: the bundle is replaced and the next report arrives over /api/events.
      await rm(bundle, { recursive: true });
      await cp(join(EXAMPLES_DIR, 'healthy'), bundle, { recursive: true });
      await serve.controller.runOnce();
      await page.waitForSelector('#banner.healthy', { timeout: 15_000 });
      assert.equal(await page.textContent('#verdict'), 'HEALTHY');
      assert.match((await page.textContent('#root-causes')) ?? '', /No root cause/);
      await page.waitForSelector('#timeline li.resolved', { timeout: 15_000 });
      assert.equal(await page.locator('#topology line.link.down').count(), 0);
      assert.equal(await page.locator('#topology line.link.ok').count(), 3);
      // The chosen node stays chosen and is shown as the new report has it.
      await page.waitForSelector('#node-detail[data-node="ndlab-node2"] h3 .badge.info');
      assert.doesNotMatch((await page.textContent('#node-detail')) ?? '', /100% loss/);
      await page.screenshot({ path: join(ARTIFACTS, 'healed.png'), fullPage: true });

      // The next analysis fails: the page says the report is stale and no longer calls it healthy.
      await rm(bundle, { recursive: true });
      await serve.controller.runOnce();
      await page.waitForSelector('#banner.inconclusive', { timeout: 15_000 });
      await page.waitForSelector('#stale:not([hidden])', { timeout: 15_000 });
      assert.equal(await page.textContent('#verdict'), 'INCONCLUSIVE');
      assert.match((await page.textContent('#stale')) ?? '', /latest analysis failed/);
      await page.screenshot({ path: join(ARTIFACTS, 'stale.png'), fullPage: true });
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
    }
  });
});
