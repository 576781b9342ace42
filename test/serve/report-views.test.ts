/**
 * The pure parts behind the dashboard and /metrics, on the recorded example bundles: the node ×
 * node probe matrix, the nodes' health, the metric values, and the stale marking.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { AgentSummary } from '../../src/agent/agent-summary.ts';
import { analyzeBundle } from '../../src/analyze/analyze-bundle.ts';
import type { Report } from '../../src/core/model.ts';
import { EXAMPLES_DIR } from '../../src/examples/catalog.ts';
import { validateReport } from '../../src/report/index.ts';
import { metricValues } from '../../src/serve/metrics-values.ts';
import { nodeDetail } from '../../src/serve/node-detail.ts';
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

describe('topology', () => {
  it('healthy: one ok link per pair', () => {
    const t = dashboardView(healthy).topology;
    assert.deepEqual(
      t.links.map((l) => `${l.a}-${l.b}:${l.state}`),
      ['ndlab-node1-ndlab-node2:ok', 'ndlab-node1-ndlab-node3:ok', 'ndlab-node2-ndlab-node3:ok'],
    );
    assert.equal(t.onlyProblems, undefined);
  });

  it('a blocked overlay: the cut path is down, with the loss of both directions as its reason', () => {
    const down = dashboardView(blocked).topology.links.filter((l) => l.state !== 'ok');
    assert.deepEqual(
      down.map((l) => [l.a, l.b, l.state, l.detail]),
      [
        [
          'ndlab-node2',
          'ndlab-node3',
          'down',
          ['ndlab-node2 → ndlab-node3: 100% loss', 'ndlab-node3 → ndlab-node2: 100% loss'],
        ],
      ],
    );
  });

  it('a missing route makes a link down even where no probe ran; nothing learned is unknown', () => {
    const { latencyMatrix: _, ...noPings } = healthy;
    const report: Report = {
      ...noPings,
      probes: {},
      routeMatrix: {
        nodes: [{ name: 'a' }, { name: 'b' }, { name: 'c' }],
        cells: [
          { from: 'a', to: 'b', state: 'missing' },
          { from: 'b', to: 'a', state: 'ok' },
        ],
      },
    };
    const links = dashboardView(report).topology.links.filter((l) => /^[abc]$/.test(l.a));
    assert.deepEqual(
      links.map((l) => `${l.a}-${l.b}:${l.state}`),
      ['a-b:down', 'a-c:unknown', 'b-c:unknown'],
    );
  });

  it('past 64 nodes only the links with a problem are listed, found without walking every pair', () => {
    const names = Array.from({ length: 2000 }, (_, i) => `n${String(i).padStart(4, '0')}`);
    const { latencyMatrix: _, ...noPings } = healthy;
    const report: Report = {
      ...noPings,
      probes: {},
      routeMatrix: {
        nodes: names.map((name) => ({ name })),
        cells: [{ from: 'n0007', to: 'n1234', state: 'wrong', route: '10.244.9.0/24 via 1.2.3.4' }],
        onlyProblems: true,
      },
    };
    const t = dashboardView(report).topology;
    assert.equal(t.onlyProblems, true);
    assert.deepEqual(
      t.links.map((l) => `${l.a}-${l.b}:${l.state}`),
      ['n0007-n1234:down'],
    );
  });
});

describe('node detail', () => {
  it("the blocked node's routes to every peer, its probes both ways, findings and gaps", () => {
    const view = dashboardView(blocked);
    const d = nodeDetail(blocked, view, 'ndlab-node2', undefined, Date.now());
    assert.ok(d);
    assert.equal(d.health, 'problem');
    assert.deepEqual(
      d.routes.map((r) => [r.to, r.state]),
      [
        ['ndlab-node1', 'ok'],
        ['ndlab-node3', 'ok'],
      ],
    );
    assert.deepEqual(
      d.probesFrom.map((p) => [p.to, p.loss]),
      [
        ['ndlab-node1', 0],
        ['ndlab-node3', 1],
      ],
    );
    assert.deepEqual(
      d.probesTo.map((p) => [p.from, p.loss]),
      [
        ['ndlab-node1', 0],
        ['ndlab-node3', 1],
      ],
    );
    assert.ok(d.findings.some((f) => f.rule === 'overlay-port-blocked'));
    assert.ok(d.gaps.every((g) => g.node === 'ndlab-node2'));
    assert.equal(d.agent, undefined);
    assert.equal(nodeDetail(blocked, view, 'no-such-node', undefined, Date.now()), undefined);
  });

  it("adds the agent's latest facts and its age", () => {
    const view = dashboardView(healthy);
    const summary: AgentSummary = {
      node: 'ndlab-node1',
      round: 7,
      at: '2026-12-06T10:00:00.000Z',
      findings: [],
      judged: [],
      facts: { peerRoutes: 2, fdbEntries: 2, mtu: { 'flannel.1': 1450, eth0: 1500 } },
      gaps: [],
      notCollected: [],
      probes: [],
    };
    const d = nodeDetail(healthy, view, 'ndlab-node1', { summary, receivedAt: 1_000_000 }, 1_042_400);
    assert.deepEqual(d?.agent, {
      round: 7,
      at: summary.at,
      ageSeconds: 42,
      facts: summary.facts,
      gaps: [],
      notCollected: [],
    });
  });

  it("adds the agent's cluster DNS and API server probes when it sends them", () => {
    const view = dashboardView(healthy);
    const services: NonNullable<AgentSummary['services']> = [
      {
        service: 'kube-dns',
        via: 'cluster-ip',
        target: '10.96.0.10:53',
        kind: 'dns-udp',
        status: 'ok',
        rttMs: 1,
        rcode: 'NOERROR',
      },
      {
        service: 'kube-dns',
        via: 'endpoint',
        target: '10.244.1.3:53',
        kind: 'dns-tcp',
        status: 'lost',
        detail: 'connection timed out',
      },
    ];
    const summary: AgentSummary = {
      node: 'ndlab-node1',
      round: 8,
      at: '2026-12-06T10:00:30.000Z',
      findings: [],
      judged: [],
      facts: undefined,
      gaps: [],
      notCollected: [],
      probes: [],
      services,
      servicesNotProbed: [{ service: 'kubernetes', detail: 'not probed: no ClusterIP' }],
    };
    const d = nodeDetail(healthy, view, 'ndlab-node1', { summary, receivedAt: 1_000_000 }, 1_000_000);
    assert.deepEqual(d?.agent?.services, services);
    assert.deepEqual(d?.agent?.servicesNotProbed, summary.servicesNotProbed);
  });
});
