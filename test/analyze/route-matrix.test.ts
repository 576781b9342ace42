import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildRouteMatrix } from '../../src/analyze/route-matrix.ts';
import { buildIndex } from '../../src/analyze/snapshot-index.ts';
import { wrongRoute } from '../support/datapath-builder.ts';
import { SnapshotBuilder } from '../support/snapshot-builder.ts';

describe('route matrix', () => {
  it("seed 004's table: the stalled node's peer cells are missing, the rest ok or local", () => {
    const s = SnapshotBuilder.flannel().stallFlannel('worker-2').build();
    const m = buildRouteMatrix(s, buildIndex(s));
    const row = m.cells.filter((c) => c.from === 'worker-2');
    assert.deepEqual(
      row.map((c) => `${c.to}:${c.state}`),
      ['control-plane:missing', 'worker-1:missing', 'worker-2:local', 'worker-3:missing'],
    );
    assert.ok(
      m.cells.filter((c) => c.from !== 'worker-2').every((c) => c.state === 'ok' || c.state === 'local'),
    );
    const ok = m.cells.find((c) => c.from === 'worker-1' && c.to === 'worker-3');
    assert.match(ok?.route ?? '', /^10\.244\.3\.0\/24 via 10\.244\.3\.0 dev flannel\.1/);
  });

  it('marks a route pointing elsewhere as wrong and a node without datapath as unknown', () => {
    const s = SnapshotBuilder.flannel().build();
    wrongRoute(s.nodes, 'worker-1', 'worker-3');
    delete s.nodes['worker-2'];
    const m = buildRouteMatrix(s, buildIndex(s));
    assert.equal(m.cells.find((c) => c.from === 'worker-1' && c.to === 'worker-3')?.state, 'wrong');
    assert.ok(m.cells.filter((c) => c.from === 'worker-2').every((c) => c.state === 'unknown'));
  });

  it('lists only problem cells on large clusters', () => {
    const s = SnapshotBuilder.flannel().stallFlannel('worker-2').build();
    const m = buildRouteMatrix(s, buildIndex(s), { fullMaxNodes: 2 });
    assert.equal(m.onlyProblems, true);
    assert.deepEqual(
      m.cells.map((c) => `${c.from}>${c.to}:${c.state}`),
      ['worker-2>control-plane:missing', 'worker-2>worker-1:missing', 'worker-2>worker-3:missing'],
    );
  });
});
