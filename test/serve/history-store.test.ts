/**
 * The incident history on a real node:sqlite file: it survives closing and reopening (a
 * controller restart), and it stays bounded, pruning the incidents resolved longest ago.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { RootCause } from '../../src/core/model.ts';
import { HistoryStore } from '../../src/serve/history-store.ts';
import { scratchDir } from '../support/scratch-dir.ts';

function rc(name: string): RootCause {
  return {
    category: 'node.ip-forward-disabled',
    subject: { kind: 'Node', name },
    confidence: 1,
    summary: `ip_forward is 0 on ${name}`,
    evidence: [],
    explains: [],
    remediation: [],
    finding: `node-ip-forward-disabled/Node//${name}`,
  };
}

const at = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString();

describe('incident history (node:sqlite)', () => {
  it('survives a restart: open and resolved incidents are still there, and an open one resolves later', async () => {
    const path = join(await scratchDir('ndt-history-'), 'state', 'history.sqlite');
    const first = HistoryStore.open({ path, maxRows: 100 });
    first.record([rc('n1'), rc('n2')], at(0));
    first.record([rc('n2')], at(1));
    first.close();

    const second = HistoryStore.open({ path, maxRows: 100 });
    const list = second.list(10);
    assert.deepEqual(
      list.map((i) => [i.subject.name, i.appearedAt, i.resolvedAt ?? null]),
      [
        ['n2', at(0), null],
        ['n1', at(0), at(1)],
      ],
    );
    const change = second.record([], at(2));
    assert.deepEqual(
      change.resolved.map((i) => i.subject.name),
      ['n2'],
    );
    assert.equal(second.openIncidents().length, 0);
    second.close();
  });

  it('is bounded: past maxRows the incidents resolved longest ago go, open ones stay', async () => {
    const path = join(await scratchDir('ndt-history-'), 'history.sqlite');
    const store = HistoryStore.open({ path, maxRows: 10 });
    // 30 incidents that each appear and resolve, with one that stays open all along.
    for (let i = 0; i < 30; i++) {
      store.record([rc('always'), rc(`flap-${i}`)], at(2 * i));
      store.record([rc('always')], at(2 * i + 1));
    }
    assert.equal(store.count(), 10);
    const list = store.list(100);
    assert.equal(list[0]?.subject.name, 'always');
    assert.equal(list[0]?.resolvedAt, undefined);
    assert.deepEqual(
      list.slice(1).map((i) => i.subject.name),
      Array.from({ length: 9 }, (_, k) => `flap-${29 - k}`),
      'the nine most recently resolved are kept, newest first',
    );
    store.close();
    const reopened = HistoryStore.open({ path, maxRows: 10 });
    assert.equal(reopened.count(), 10);
    reopened.close();
  });

  it('an unusable history file is a usage error naming it', async () => {
    const dir = await scratchDir('ndt-history-');
    assert.throws(
      () => HistoryStore.open({ path: dir, maxRows: 10 }),
      (err: Error & { code?: string; path?: string }) => err.code === 'usage' && err.path === dir,
    );
  });
});
