/**
 * The pure parts behind the dashboard and /metrics, on the recorded example bundles: the node ×
 * node probe matrix, the nodes' health, the metric values, and the stale marking.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { analyzeBundle } from '../../src/analyze/analyze-bundle.ts';
import type { Report } from '../../src/core/model.ts';
import { EXAMPLES_DIR } from '../../src/examples/catalog.ts';
import { validateReport } from '../../src/report/index.ts';
import { metricValues } from '../../src/serve/metrics-values.ts';
import { dashboardView } from '../../src/serve/node-view.ts';
import { probeMatrix } from '../../src/serve/probe-matrix.ts';
import { staleReport } from '../../src/serve/stale-report.ts';

const healthy = await analyzeBundle(join(EXAMPLES_DIR, 'healthy'));
const blocked = await analyzeBundle(join(EXAMPLES_DIR, 'vxlan-port-blocked'));

describe('probe matrix', () => {
  it('healthy: every pair probed, no loss', () => {
    const m = probeMatrix(healthy);
    assert.equal(m.nodes.length, 3);
    assert.equal(m.pairs.length, 9);
    assert.ok(m.pairs.every((p) => p.loss === 0 && p.unexpected === 0 && p.probes > 0));
  });

  it('a blocked overlay: exactly the pairs across the blocked node lose everything', () => {
    const lossy = probeMatrix(blocked)
      .pairs.filter((p) => p.loss > 0)
      .map((p) => `${p.from}>${p.to}:${p.loss}`);
    assert.deepEqual(lossy, ['ndlab-node2>ndlab-node3:1', 'ndlab-node3>ndlab-node2:1']);
  });

  it('ping statistics of the latency matrix give partial loss', () => {
    const report: Report = {
      ...healthy,
      probes: {},
      latencyMatrix: { nodes: ['a', 'b'], cells: [{ from: 'a', to: 'b', sent: 4, received: 3, avgMs: 2 }] },
    };
    assert.deepEqual(probeMatrix(report).pairs, [
      { from: 'a', to: 'b', probes: 0, unexpected: 0, loss: 0.25, rttMs: 2 },
    ]);
  });
});

describe('nodes', () => {
  it('the node a root cause names is a problem; a node not collected is unknown, never ok', () => {
    const view = dashboardView(blocked);
    assert.equal(view.nodes.find((n) => n.name === 'ndlab-node2')?.health, 'problem');
    const gone: Report = {
      ...healthy,
      coverage: {
        ...healthy.coverage,
        nodes: { ...healthy.coverage.nodes, notCollected: [{ node: 'ndlab-node3', reason: 'timeout' }] },
      },
    };
    assert.deepEqual(
      dashboardView(gone).nodes.map((n) => [n.name, n.health]),
      [
        ['ndlab-node1', 'ok'],
        ['ndlab-node2', 'ok'],
        ['ndlab-node3', 'unknown'],
      ],
    );
  });
});

describe('metric values', () => {
  it('one verdict set, root causes by category and subject, probe outcomes', () => {
    const v = metricValues(blocked, { state: 'fresh', analyzedAt: 'now', durationMs: 1 });
    assert.deepEqual(v.verdict, { healthy: 0, degraded: 1, broken: 0, inconclusive: 0 });
    assert.deepEqual(v.rootCauses, [
      { category: 'overlay.port-blocked', subjectKind: 'Node', subjectNamespace: '', subject: 'ndlab-node2' },
    ]);
    assert.equal(
      v.probes.reduce((n, p) => n + p.count, 0),
      (blocked.probes as { results: unknown[] }).results.length,
    );
  });

  it('before a first report: no verdict at all', () => {
    const v = metricValues(undefined, { state: 'waiting', since: 'now' });
    assert.deepEqual(Object.values(v.verdict), [0, 0, 0, 0]);
  });
});

describe('stale reports', () => {
  const failure = { state: 'stale', analyzedAt: 't0', failedAt: 't1', error: 'boom', failures: 2 } as const;
  it('a stale healthy report is inconclusive, still valid against the schema', () => {
    const r = staleReport(healthy, failure);
    assert.equal(r.verdict, 'inconclusive');
    assert.equal(r.coverage.sufficient, false);
    assert.deepEqual(validateReport(JSON.parse(JSON.stringify(r))), { valid: true });
  });
  it('a stale degraded report keeps its verdict and root causes', () => {
    const r = staleReport(blocked, failure);
    assert.equal(r.verdict, 'degraded');
    assert.deepEqual(r.rootCauses, blocked.rootCauses);
    assert.match(r.coverage.shortfalls[0] ?? '', /failed at t1 \(2 in a row: boom\)/);
  });
});
