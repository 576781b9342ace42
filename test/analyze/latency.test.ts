import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze } from '../../src/analyze/engine.ts';
import { latencyMatrix, latencyOutliers, type PairLatency } from '../../src/analyze/latency.ts';
import type { ProbeResult } from '../../src/core/probe-types.ts';
import { snapshotWithPings } from '../support/ping-snapshot.ts';
import { SnapshotBuilder } from '../support/snapshot-builder.ts';

/** Every directed pair of `nodes`, with its minimum round trip from `rtt(a, b)`. */
function mesh(nodes: string[], rtt: (a: string, b: string) => number, received = 5): PairLatency[] {
  const out: PairLatency[] = [];
  for (const from of nodes)
    for (const to of nodes) {
      if (from === to) continue;
      const minMs = rtt(from, to);
      out.push({ from, to, sent: 5, received, minMs, avgMs: minMs * 1.3, maxMs: minMs * 2 });
    }
  return out;
}

const N3 = ['n1', 'n2', 'n3'];
const N6 = ['n1', 'n2', 'n3', 'n4', 'n5', 'n6'];
/** Sub-millisecond LAN jitter: a deterministic spread of 0.04-0.35 ms. */
const lan = (a: string, b: string): number =>
  0.04 + (((a.charCodeAt(1) * 7 + b.charCodeAt(1) * 13) % 10) / 10) * 0.31;

describe('latency outliers', () => {
  it('finds nothing on a healthy LAN whose pairs vary several-fold below a millisecond', () => {
    assert.deepEqual(latencyOutliers(mesh(N6, lan)), { nodes: [], pairs: [] });
    assert.deepEqual(latencyOutliers(mesh(N3, lan)), { nodes: [], pairs: [] });
  });

  it('names the node every path through which is slow, on three nodes and on six', () => {
    for (const nodes of [N3, N6]) {
      const out = latencyOutliers(
        mesh(nodes, (a, b) => (a === 'n2' || b === 'n2' ? 20 + lan(a, b) : lan(a, b))),
      );
      assert.deepEqual(
        out.nodes.map((n) => n.node),
        ['n2'],
      );
      assert.deepEqual(out.pairs, [], 'the slow node explains its pairs; they are not listed again');
      assert.equal(out.nodes[0]?.pairs.length, (nodes.length - 1) * 2);
    }
  });

  it('names a slow pair without condemning either of its nodes', () => {
    const slow = (a: string, b: string): boolean => [a, b].sort().join() === 'n1,n3';
    for (const nodes of [N3, N6]) {
      const out = latencyOutliers(mesh(nodes, (a, b) => (slow(a, b) ? 15 : lan(a, b))));
      assert.deepEqual(out.nodes, []);
      assert.deepEqual(
        out.pairs.map((p) => p.nodes),
        [['n1', 'n3']],
      );
    }
  });

  it('holds on a slow network too: the threshold follows the cluster, not a number of milliseconds', () => {
    const cloud = (a: string, b: string): number => 2 + lan(a, b) * 3;
    assert.deepEqual(latencyOutliers(mesh(N6, cloud)), { nodes: [], pairs: [] });
    const out = latencyOutliers(mesh(N6, (a, b) => (a === 'n5' || b === 'n5' ? 9 : cloud(a, b))));
    assert.deepEqual(
      out.nodes.map((n) => n.node),
      ['n5'],
    );
    // 4 ms on a 2-3 ms cloud is under three times the others: not an outlier.
    const mild = latencyOutliers(mesh(N6, (a, b) => (a === 'n5' || b === 'n5' ? 4 : cloud(a, b))));
    assert.deepEqual(mild.nodes, []);
  });

  it('ignores a several-fold difference below the noise floor', () => {
    const out = latencyOutliers(mesh(N3, (a, b) => (a === 'n2' || b === 'n2' ? 0.6 : 0.05)));
    assert.deepEqual(out, { nodes: [], pairs: [] });
  });

  it('cannot judge two nodes, and leaves unanswered pairs out of the yardstick', () => {
    assert.deepEqual(latencyOutliers(mesh(['n1', 'n2'], () => 50)), { nodes: [], pairs: [] });
    const cells = mesh(N3, lan).map((c) =>
      c.from === 'n3' || c.to === 'n3' ? { from: c.from, to: c.to, sent: 5, received: 0 } : c,
    );
    assert.deepEqual(latencyOutliers(cells), { nodes: [], pairs: [] });
  });
});

describe('latency in the report', () => {
  const withPings = snapshotWithPings;
  const icmp = (rs: ProbeResult[]) =>
    rs.filter((r) => r.scenario === 'pod-to-pod-icmp' && r.from.node !== r.to.node);

  it('draws the matrix and stays healthy when no node stands out', () => {
    const snap = withPings((a, b) => lan(`n${a.length % 10}`, `n${b.length % 10}`));
    const crossPairs = icmp(snap.probes?.results ?? []).length;
    assert.ok(crossPairs >= 6, `the builder probes every pair (${crossPairs})`);
    const report = analyze(snap);
    assert.equal(report.verdict, 'healthy');
    assert.deepEqual(report.rootCauses, []);
    assert.equal(report.latencyMatrix?.cells.length, crossPairs);
    assert.ok(report.latencyMatrix?.cells.every((c) => c.outlier === undefined));
    assert.ok((report.latencyMatrix?.baselineMs ?? 0) > 0);
  });

  it('makes a slow node a root cause with its pairs as evidence, and marks its cells', () => {
    const report = analyze(withPings((a, b) => (a === 'worker-2' || b === 'worker-2' ? 25 : 0.1)));
    assert.equal(report.verdict, 'degraded');
    const rc = report.rootCauses.find((r) => r.category === 'network.latency-outlier');
    assert.ok(rc, JSON.stringify(report.rootCauses.map((r) => r.category)));
    assert.deepEqual(rc.subject, { kind: 'Node', name: 'worker-2' });
    assert.match(rc.summary, /worker-2 takes 25\.0 ms or more per round trip, against 0\.10 ms/);
    const hot = report.latencyMatrix?.cells.filter((c) => c.outlier === true) ?? [];
    assert.ok(hot.length > 0 && hot.every((c) => c.from === 'worker-2' || c.to === 'worker-2'));
  });

  it('is absent from reports whose probes carry no ping statistics', () => {
    const report = analyze(new SnapshotBuilder().build());
    assert.equal(report.latencyMatrix, undefined);
    assert.equal(latencyMatrix([]), undefined);
  });
});
