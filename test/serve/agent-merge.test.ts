/**
 * The agents' word on top of an analysis (src/serve/agent-merge.ts), on the recorded example
 * bundles: a silent agent makes its node unknown and the verdict inconclusive; a newer summary
 * adds or withdraws what its node's rules found, and correlation follows.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { AgentSummary } from '../../src/agent/agent-summary.ts';
import { analyzeBundle } from '../../src/analyze/analyze-bundle.ts';
import type { Report } from '../../src/core/model.ts';
import { EXAMPLES_DIR } from '../../src/examples/catalog.ts';
import { validateReport } from '../../src/report/index.ts';
import { agentStates, mergeAgents } from '../../src/serve/agent-merge.ts';
import type { AgentRecord } from '../../src/serve/agent-roster.ts';
import { dashboardView } from '../../src/serve/node-view.ts';

const NODES = ['ndlab-node1', 'ndlab-node2', 'ndlab-node3'];
const STALE = 90_000;

function summary(node: string, at: number, over: Partial<AgentSummary> = {}): AgentSummary {
  return {
    node,
    round: 7,
    at: new Date(at).toISOString(),
    findings: [],
    judged: ['node-ip-forward-disabled'],
    facts: { peerRoutes: 2, fdbEntries: 2, mtu: { eth0: 1500, 'flannel.1': 1450 } },
    gaps: [],
    notCollected: [],
    probes: [],
    ...over,
  };
}

function records(report: Report, atOffsetMs: number): AgentRecord[] {
  const t = Date.parse(report.generatedAt);
  return NODES.map((n) => ({ summary: summary(n, t + atOffsetMs), receivedAt: t + atOffsetMs }));
}

describe('agents merged into the served report', async () => {
  const healthy = await analyzeBundle(join(EXAMPLES_DIR, 'healthy'));
  const broken = await analyzeBundle(join(EXAMPLES_DIR, 'ip-forward-disabled'));
  const t0 = Date.parse(healthy.generatedAt);

  it('leaves the report as it is while every agent reports nothing newer', () => {
    const rs = records(healthy, -5_000);
    const merged = mergeAgents(healthy, rs, { now: t0 + 10_000, staleAfterMs: STALE });
    assert.equal(merged, healthy);
    assert.equal(merged.verdict, 'healthy');
    assert.deepEqual(
      agentStates(healthy, rs, { now: t0 + 10_000, staleAfterMs: STALE }).map((s) => s.state),
      ['reporting', 'reporting', 'reporting'],
    );
  });

  it('never calls a node healthy whose agent fell silent, or never spoke', () => {
    const rs = records(healthy, -5_000).filter((r) => r.summary.node !== 'ndlab-node3');
    rs[0] = { ...rs[0]!, receivedAt: t0 - 200_000 };
    const merged = mergeAgents(healthy, rs, { now: t0 + 10_000, staleAfterMs: STALE });
    assert.equal(merged.verdict, 'inconclusive');
    assert.equal(merged.coverage.sufficient, false);
    const agentGaps = merged.gaps.filter((g) => g.collector === 'agent');
    assert.deepEqual(agentGaps.map((g) => g.node).sort(), ['ndlab-node1', 'ndlab-node3']);
    assert.match(agentGaps.find((g) => g.node === 'ndlab-node1')!.detail!, /for 210 s/);
    assert.match(agentGaps.find((g) => g.node === 'ndlab-node3')!.detail!, /yet/);
    assert.match(merged.coverage.shortfalls.at(-1)!, /2 node\(s\) without a recent summary/);
    const health = new Map(dashboardView(merged).nodes.map((n) => [n.name, n.health]));
    assert.equal(health.get('ndlab-node1'), 'unknown');
    assert.equal(health.get('ndlab-node2'), 'ok');
    assert.equal(health.get('ndlab-node3'), 'unknown');
    assert.deepEqual(validateReport(JSON.parse(JSON.stringify(merged))), { valid: true });
  });

  it('reports a fault an agent sees before the next analysis, as the analysis would', () => {
    const fault = broken.findings.find((f) => f.rule === 'node-ip-forward-disabled')!;
    const rs = records(healthy, 5_000);
    rs[1] = { ...rs[1]!, summary: { ...rs[1]!.summary, findings: [fault] } };
    const merged = mergeAgents(healthy, rs, { now: t0 + 6_000, staleAfterMs: STALE });
    assert.deepEqual(
      merged.rootCauses.map((rc) => `${rc.category} ${rc.subject.name}`),
      ['node.ip-forward-disabled ndlab-node2'],
    );
    assert.equal(merged.verdict, 'broken');
    assert.equal(dashboardView(merged).nodes.find((n) => n.name === 'ndlab-node2')!.health, 'problem');
  });

  it('withdraws a finding the agent no longer sees, and keeps the symptoms it does not speak for', () => {
    const t = Date.parse(broken.generatedAt);
    const rs = NODES.map((n) => ({ summary: summary(n, t + 5_000), receivedAt: t + 5_000 }));
    const merged = mergeAgents(broken, rs, { now: t + 6_000, staleAfterMs: STALE });
    assert.equal(merged.findings.filter((f) => f.rule === 'node-ip-forward-disabled').length, 0);
    assert.deepEqual(merged.rootCauses, []);
    // The failed probes of the last analysis still stand, unexplained now: not healthy.
    assert.equal(merged.verdict, 'degraded');
    assert.ok(merged.unexplained.length > 0);
  });

  it('keeps a finding of a rule the agent did not judge', () => {
    const t = Date.parse(broken.generatedAt);
    const rs = NODES.map((n) => ({ summary: summary(n, t + 5_000, { judged: [] }), receivedAt: t + 5_000 }));
    const merged = mergeAgents(broken, rs, { now: t + 6_000, staleAfterMs: STALE });
    assert.deepEqual(merged.rootCauses, broken.rootCauses);
    assert.equal(merged.verdict, 'broken');
  });
});
