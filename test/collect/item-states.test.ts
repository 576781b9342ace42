/**
 * What a bundle records about each item it tried to collect, and what analysis makes of it:
 * absent on the node is evidence, not collected is unknown, and older bundles read as what they
 * unambiguously show.
 */
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { analyzeBundle } from '../../src/analyze/analyze-bundle.ts';
import { legacyItemStates } from '../../src/collect/bundle/item-state.ts';
import type { BundleManifest } from '../../src/collect/bundle/layout.ts';
import { readBundle } from '../../src/collect/bundle/read.ts';
import { writeBundle } from '../../src/collect/bundle/write.ts';
import type { ItemState } from '../../src/core/item-state.ts';
import { EXAMPLES_DIR } from '../../src/examples/catalog.ts';
import { bundleInput } from './bundle-input.ts';

let work: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'nd-item-states-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('item states written with a bundle', () => {
  it('records collected files, parts absent on the node, and parts not collected with the reason', async () => {
    const input = bundleInput({ 'node-1': { routes: '[]', links: '[]' }, 'node-2': { routes: '[]' } });
    const n2 = input.nodes['node-2'];
    assert.ok(n2);
    n2.cniFiles = [];
    n2.states = { cniConfigs: { state: 'absent' } };
    delete n2.files.flannelSubnetEnv;
    n2.states.flannelSubnetEnv = { state: 'absent' };
    input.gaps.push({
      collector: 'node/agent/links',
      reason: 'timeout',
      node: 'node-2',
      detail: 'the node stream ended early',
    });
    const dir = join(work, 'written');
    const manifest = await writeBundle(dir, input);
    const items = manifest.items ?? {};
    assert.deepEqual(items['nodes/node-1/ip-route.json'], { state: 'collected' });
    assert.deepEqual(items['nodes/node-1/cni-net.d'], { state: 'collected' });
    assert.deepEqual(items['nodes/node-2/cni-net.d'], { state: 'absent' });
    assert.deepEqual(items['nodes/node-2/subnet.env'], { state: 'absent' });
    assert.deepEqual(items['nodes/node-2/ip-link.json'], {
      state: 'not-collected',
      reason: 'timeout',
      detail: 'the node stream ended early',
    });
    assert.equal(items['probes/results.json']?.state, 'collected');
    const back = await readBundle(dir);
    assert.deepEqual(back.items, items, 'the reader takes the recorded states');
  });
});

/** The healthy example with node 2's CNI config gone, recorded with the given state. */
async function withoutCniConfig(name: string, state: ItemState | undefined): Promise<string> {
  const dir = join(work, name);
  await cp(join(EXAMPLES_DIR, 'healthy'), dir, { recursive: true });
  const path = join(dir, 'manifest.json');
  const m = JSON.parse(await readFile(path, 'utf8')) as BundleManifest;
  const conf = 'nodes/ndlab-node2/cni-net.d/10-flannel.conflist';
  await rm(join(dir, conf));
  m.files = m.files.filter((f) => f.path !== conf);
  if (state) {
    const items = legacyItemStates(
      m.files.map((f) => f.path),
      [],
      m.nodes,
    );
    items['nodes/ndlab-node2/cni-net.d'] = state;
    m.items = items;
  }
  await writeFile(path, JSON.stringify(m));
  return dir;
}

describe('what analysis makes of an item state', () => {
  it('absent on the node: evidence, the CNI config is missing there', async () => {
    const r = await analyzeBundle(await withoutCniConfig('absent', { state: 'absent' }));
    const f = r.findings.find((x) => x.rule === 'cni-config-missing');
    assert.match(f?.summary ?? '', /ndlab-node2: \/etc\/cni\/net\.d does not exist/);
    assert.ok(
      r.rootCauses.some((rc) => rc.category === 'cni.config-missing' && rc.subject.name === 'ndlab-node2'),
    );
  });

  it('not collected: unknown, the rule passes that node over and says why', async () => {
    const r = await analyzeBundle(
      await withoutCniConfig('failed', {
        state: 'not-collected',
        reason: 'error',
        detail: 'ls: Permission denied',
      }),
    );
    assert.ok(!r.findings.some((x) => x.rule === 'cni-config-missing'));
    const o = r.rules.find((x) => x.rule === 'cni-config-missing');
    assert.ok(o && o.status !== 'error');
    assert.deepEqual(o.notCollected, ['cni-net.d']);
    assert.match(
      o.status === 'pass' ? (o.note ?? '') : '',
      /cni-net\.d not collected \(error: ls: Permission denied\)/,
    );
  });

  it('an older bundle that does not record states: no config files reads as unknown, never as absent', async () => {
    const r = await analyzeBundle(await withoutCniConfig('legacy', undefined));
    assert.ok(!r.findings.some((x) => x.rule === 'cni-config-missing'));
    // One part of one node unseen: the rule that needs it checked the other nodes only, which
    // is no evidence about this one.
    assert.equal(r.verdict, 'inconclusive', r.coverage.shortfalls.join('; '));
    assert.deepEqual(
      r.coverage.rules.partial.map((p) => [p.rule, p.notCollected]),
      [['cni-config-missing', ['cni-net.d']]],
    );
  });

  it('older bundles: a file the node could not open for want of it is absent, other failures unknown', () => {
    const items = legacyItemStates(
      ['nodes/n1/ip-route.json'],
      [
        {
          collector: 'node/agent/flannelSubnetEnv',
          reason: 'error',
          node: 'n1',
          detail: "exit 1: cat: can't open '/host/run/flannel/subnet.env': No such file or directory",
        },
        { collector: 'node/agent/sysctls', reason: 'error', node: 'n1', detail: 'exit 1: Permission denied' },
      ],
      ['n1'],
    );
    assert.deepEqual(items['nodes/n1/ip-route.json'], { state: 'collected' });
    assert.deepEqual(items['nodes/n1/subnet.env'], { state: 'absent' });
    assert.equal(items['nodes/n1/sysctl.txt']?.state, 'not-collected');
    assert.equal(items['nodes/n1/ip-link.json']?.state, 'not-collected');
    assert.equal(items['nodes/n1/cni-net.d']?.state, 'not-collected');
    assert.equal(items['cluster/pods.json']?.state, 'not-collected');
  });
});
