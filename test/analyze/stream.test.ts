/**
 * Streaming analysis: the report of `analyzeStream` over `readBundleStream` must equal the
 * in-memory `analyze(readBundle(...))` of the same bundle, the reader must never hold more than
 * its read-ahead of nodes, and a node's malformed file must still become a gap.
 */
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { analyzeBundle } from '../../src/analyze/analyze-bundle.ts';
import { analyze, analyzeStream } from '../../src/analyze/engine.ts';
import type { Rule } from '../../src/analyze/rule.ts';
import type { BundleManifest } from '../../src/collect/bundle/layout.ts';
import { readBundle, readBundleStream } from '../../src/collect/bundle/read.ts';
import type { NodeDatapath } from '../../src/core/datapath-types.ts';
import { EXAMPLES_DIR, loadExampleCatalog } from '../../src/examples/catalog.ts';

const NOW = new Date('2026-01-01T00:00:00Z');
const catalog = await loadExampleCatalog();
const temps: string[] = [];
after(async () => {
  for (const t of temps) await rm(t, { recursive: true, force: true });
});

/** A copy of an example bundle to damage or grow. */
async function copyExample(id: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'netdoctor-stream-'));
  temps.push(dir);
  await cp(join(EXAMPLES_DIR, id), join(dir, 'bundle'), { recursive: true });
  return join(dir, 'bundle');
}

async function editManifest(dir: string, edit: (m: BundleManifest) => void): Promise<void> {
  const path = join(dir, 'manifest.json');
  const m = JSON.parse(await readFile(path, 'utf8')) as BundleManifest;
  edit(m);
  await writeFile(path, `${JSON.stringify(m, null, 2)}\n`);
}

async function streamed(dir: string) {
  const s = await readBundleStream(dir);
  return analyzeStream(s.snapshot, s.nodes, s.nodeNames, { now: NOW });
}

describe('streaming analysis', () => {
  for (const ex of catalog) {
    it(`${ex.id}: analyzeStream over readBundleStream gives the report analyze(readBundle) gives`, async () => {
      const dir = join(EXAMPLES_DIR, ex.id);
      const inMemory = analyze(await readBundle(dir), { now: NOW });
      assert.deepEqual(await streamed(dir), inMemory);
      assert.deepEqual(await analyzeBundle(dir, { now: NOW }), inMemory);
    });
  }

  it('gives the same report whatever order the nodes arrive in', async () => {
    const s = await readBundle(join(EXAMPLES_DIR, 'flannel-agent-stalled'));
    const reversed = Object.values(s.nodes).reverse();
    const base = { ...s, nodes: {} };
    const r = await analyzeStream(base, reversed, Object.keys(s.nodes), { now: NOW });
    assert.deepEqual(r, analyze(s, { now: NOW }));
  });

  it('never holds more nodes than its read-ahead, and does read ahead', async () => {
    const dir = await copyExample('healthy');
    const extra = Array.from({ length: 12 }, (_, i) => `extra-${String(i).padStart(2, '0')}`);
    const files: { path: string; bytes: number }[] = [];
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as BundleManifest;
    for (const name of extra) {
      await cp(join(dir, 'nodes/ndlab-node2'), join(dir, 'nodes', name), { recursive: true });
      for (const f of manifest.files.filter((f) => f.path.startsWith('nodes/ndlab-node2/')))
        files.push({ ...f, path: f.path.replace('nodes/ndlab-node2/', `nodes/${name}/`) });
    }
    await editManifest(dir, (m) => {
      m.nodes.push(...extra);
      m.files.push(...files);
    });
    for (const readAhead of [1, 2, 3]) {
      let max = 0;
      const s = await readBundleStream(dir, { readAhead, onHeld: (n) => (max = Math.max(max, n)) });
      const seen: string[] = [];
      for await (const dp of s.nodes) {
        seen.push(dp.name);
        await sleep(2); // a slow consumer: the reader must wait, not run ahead
      }
      assert.deepEqual(seen, s.nodeNames);
      assert.equal(seen.length, 15);
      assert.equal(max, readAhead, `readAhead ${readAhead}`);
    }
  });

  it('a node whose file is malformed becomes a gap in streaming mode too', async () => {
    const dir = await copyExample('healthy');
    await writeFile(join(dir, 'nodes/ndlab-node3/ip-route.json'), '[{"dst": "10.244.1.0/24", ');
    await writeFile(join(dir, 'nodes/ndlab-node2/sysctl.txt'), 'not a sysctl line at all\n');
    const inMemory = analyze(await readBundle(dir), { now: NOW });
    const report = await streamed(dir);
    assert.deepEqual(report, inMemory);
    const gap = report.gaps.find((g) => g.collector === 'nodes/ndlab-node3/ip-route.json');
    assert.equal(gap?.reason, 'parse-error');
    assert.equal(gap?.node, 'ndlab-node3');
    // ndlab-node3's other files were still read: its sysctls are analyzed, its route row is unknown.
    assert.ok(report.routeMatrix?.cells.some((c) => c.from === 'ndlab-node3' && c.state === 'unknown'));
  });

  it('a rule whose node phase throws is an error outcome, and the other rules still run', async () => {
    const boom: Rule = {
      id: 'test.boom',
      layer: 'node',
      title: 'throws on ndlab-node2',
      why: 'test',
      runNode: (_ctx, dp: NodeDatapath) => {
        if (dp.name === 'ndlab-node2') throw new Error('kaput');
        return [];
      },
    };
    const ok: Rule = { id: 'test.ok', layer: 'node', title: 'passes', why: 'test', runNode: () => [] };
    const s = await readBundleStream(join(EXAMPLES_DIR, 'healthy'));
    const r = await analyzeStream(s.snapshot, s.nodes, s.nodeNames, { rules: [boom, ok], now: NOW });
    assert.deepEqual(r.rules, [
      { rule: 'test.boom', status: 'error', error: 'on node ndlab-node2: Error: kaput' },
      { rule: 'test.ok', status: 'pass' },
    ]);
  });

  it('aggregates per-node skips into the outcome', async () => {
    const s = await readBundle(join(EXAMPLES_DIR, 'healthy'));
    delete s.nodes['ndlab-node2']?.sysctls;
    const { RULES } = await import('../../src/analyze/rules/index.ts');
    const ipf = RULES.find((r) => r.id === 'node-ip-forward-disabled') as Rule;
    const partial = analyze(s, { rules: [ipf], now: NOW }).rules[0];
    assert.deepEqual(partial, {
      rule: 'node-ip-forward-disabled',
      status: 'pass',
      note: 'skipped on 1 of 3 nodes: sysctl.txt not collected (unreadable: recorded as collected, but not readable in the bundle)',
      notCollected: ['sysctl.txt'],
    });
    for (const dp of Object.values(s.nodes)) delete dp.sysctls;
    assert.deepEqual(analyze(s, { rules: [ipf], now: NOW }).rules[0], {
      rule: 'node-ip-forward-disabled',
      status: 'skipped',
      reason:
        'skipped on all 3 nodes: sysctl.txt not collected (unreadable: recorded as collected, but not readable in the bundle)',
      notCollected: ['sysctl.txt'],
    });
  });
});
