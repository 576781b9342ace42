import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runRule } from '../../src/analyze/engine.ts';
import type { Rule } from '../../src/analyze/rule.ts';
import { RULES } from '../../src/analyze/rules/index.ts';
import { probeExternalFailed } from '../../src/analyze/rules/probe-external-failed.ts';
import { probeLargePacketsFailed } from '../../src/analyze/rules/probe-large-packets-failed.ts';
import { probeNodeIsolated } from '../../src/analyze/rules/probe-node-isolated.ts';
import { probeNodeportFailed } from '../../src/analyze/rules/probe-nodeport-failed.ts';
import { probePodToPodFailed } from '../../src/analyze/rules/probe-pod-to-pod-failed.ts';
import { probeServiceFailed } from '../../src/analyze/rules/probe-service-failed.ts';
import { buildIndex } from '../../src/analyze/snapshot-index.ts';
import type { Finding, Snapshot } from '../../src/core/model.ts';
import type { ProbeResult, ProbeScenario } from '../../src/core/probe-types.ts';
import { SnapshotBuilder } from '../support/snapshot-builder.ts';

const NODES = ['control-plane', 'worker-1', 'worker-2', 'worker-3'];
const PROBE_RULES: Rule[] = [
  probePodToPodFailed,
  probeNodeIsolated,
  probeLargePacketsFailed,
  probeServiceFailed,
  probeNodeportFailed,
  probeExternalFailed,
];

function probe(
  scenario: ProbeScenario,
  from: string,
  to: string | undefined,
  ok: boolean,
  extra: Partial<ProbeResult> = {},
): ProbeResult {
  return {
    id: `${scenario}/${from}/${to ?? 'x'}${extra.size ? `/${extra.size}` : ''}`,
    scenario,
    from: { node: from, pod: `netdoctor-probe-${from}` },
    to: to ? { node: to, pod: `netdoctor-probe-${to}` } : { name: 'target' },
    expect: 'pass',
    outcome: ok ? { status: 'pass', rttMs: 0.4 } : { status: 'fail', error: 'timeout' },
    ...extra,
  };
}

/** Every pod-to-pod pair, same-node included; `ok(a, b)` decides each outcome. */
function podMatrix(ok: (a: string, b: string) => boolean): ProbeResult[] {
  const out: ProbeResult[] = [];
  for (const a of NODES) for (const b of NODES) out.push(probe('pod-to-pod-icmp', a, b, ok(a, b)));
  return out;
}

function withProbes(results: ProbeResult[]): Snapshot {
  const s = SnapshotBuilder.flannel({ workers: 3 }).build();
  s.probes = { startedAt: s.meta.createdAt, durationMs: 1000, results };
  return s;
}

function run(rule: Rule, s: Snapshot): Finding[] {
  const { outcome, findings } = runRule(rule, s);
  assert.ok(outcome.status === 'pass' || outcome.status === 'fail', JSON.stringify(outcome));
  return findings;
}

describe('probe-pattern rules', () => {
  it('are registered', () => {
    for (const r of PROBE_RULES) assert.ok(RULES.includes(r), r.id);
  });

  it('stay silent when every probe meets its expectation (a probe expected to fail that fails is fine)', () => {
    const results = [
      ...podMatrix(() => true),
      probe('service-clusterip', 'worker-1', undefined, true),
      probe('nodeport', 'worker-1', undefined, true),
      probe('external', 'worker-2', undefined, true),
      probe('mtu', 'worker-1', 'worker-2', true, { size: 1400 }),
      { ...probe('pod-to-pod-tcp', 'worker-1', 'worker-2', false), expect: 'fail' as const },
    ];
    const s = withProbes(results);
    for (const r of PROBE_RULES) assert.deepEqual(run(r, s), [], r.id);
  });

  it('skip with a reason when no probes ran', () => {
    const s = withProbes([]);
    delete s.probes;
    for (const r of PROBE_RULES) {
      const a = r.appliesTo?.({ snapshot: s, index: buildIndex(s), collectedNodes: Object.keys(s.nodes) });
      assert.equal(a?.applies, false);
    }
  });

  it('same-node works but cross-node fails: one cross-node symptom per failing node pair', () => {
    const s = withProbes(podMatrix((a, b) => a === b || (a !== 'worker-2' && b !== 'worker-2')));
    const fs = run(probePodToPodFailed, s);
    assert.equal(fs.length, 3);
    for (const f of fs) {
      assert.equal(f.symptom?.kind, 'cross-node-failed');
      assert.ok(f.symptom?.nodes.includes('worker-2'));
      assert.equal(f.symptom?.nodes.length, 2);
    }
    const w12 = fs.find((f) => f.symptom?.nodes.join() === 'worker-1,worker-2')!;
    assert.equal(w12.id, 'probe-pod-to-pod-failed/Node//worker-1/worker-2');
    assert.match(w12.summary, /while same-node traffic works on both/);
  });

  it('seed 002: same-node failure on one worker', () => {
    const s = withProbes(podMatrix((a, b) => !(a === 'worker-3' && b === 'worker-3')));
    const fs = run(probePodToPodFailed, s);
    assert.equal(fs.length, 1);
    assert.deepEqual(fs[0]!.symptom, { kind: 'same-node-failed', nodes: ['worker-3'] });
  });

  it("one node's pods fail everywhere: that node is named as the common factor", () => {
    const s = withProbes(podMatrix((a, b) => a === b || (a !== 'worker-2' && b !== 'worker-2')));
    const fs = run(probeNodeIsolated, s);
    assert.equal(fs.length, 1);
    assert.deepEqual(fs[0]!.subject, { kind: 'Node', name: 'worker-2' });
    assert.deepEqual(fs[0]!.symptom, { kind: 'cross-node-failed', nodes: ['worker-2'] });
    assert.match(fs[0]!.summary, /common factor/);
  });

  it('no common factor when everything fails (total isolation, seed 001)', () => {
    const s = withProbes(podMatrix((a, b) => a === b));
    assert.deepEqual(run(probeNodeIsolated, s), []);
    assert.equal(run(probePodToPodFailed, s).length, 6);
  });

  it('small packets pass but large ones do not', () => {
    const s = withProbes([
      ...podMatrix(() => true),
      probe('mtu', 'worker-1', 'worker-2', true, { size: 1200 }),
      probe('mtu', 'worker-1', 'worker-2', false, { size: 1472 }),
      probe('mtu', 'worker-1', 'worker-3', true, { size: 1200 }),
      probe('mtu', 'worker-1', 'worker-3', true, { size: 1422 }),
    ]);
    const fs = run(probeLargePacketsFailed, s);
    assert.equal(fs.length, 1);
    assert.deepEqual(fs[0]!.symptom, { kind: 'large-packets-failed', nodes: ['worker-1', 'worker-2'] });
    assert.match(fs[0]!.summary, /1472 bytes .* while 1200 bytes pass/);
  });

  it('all large packets failing counts when pod-to-pod pings pass between the pair', () => {
    const s = withProbes([
      ...podMatrix(() => true),
      probe('mtu', 'worker-1', 'worker-3', false, { size: 1472 }),
    ]);
    const fs = run(probeLargePacketsFailed, s);
    assert.equal(fs.length, 1);
    assert.match(fs[0]!.summary, /while small packets pass/);
  });

  const perNode: { rule: Rule; scenario: ProbeScenario; kind: string }[] = [
    { rule: probeServiceFailed, scenario: 'service-clusterip', kind: 'service-failed' },
    { rule: probeNodeportFailed, scenario: 'nodeport', kind: 'nodeport-failed' },
    { rule: probeExternalFailed, scenario: 'external', kind: 'external-failed' },
  ];
  for (const c of perNode) {
    it(`${c.rule.id}: failures from one node name that node`, () => {
      const s = withProbes(NODES.map((n) => probe(c.scenario, n, undefined, n !== 'worker-3')));
      const fs = run(c.rule, s);
      assert.equal(fs.length, 1);
      assert.deepEqual(fs[0]!.subject, { kind: 'Node', name: 'worker-3' });
      assert.deepEqual(fs[0]!.symptom, { kind: c.kind, nodes: ['worker-3'] });
      assert.equal(fs[0]!.severity, 'error');
    });
    it(`${c.rule.id}: failures from every node are one cluster-wide symptom`, () => {
      const s = withProbes(NODES.map((n) => probe(c.scenario, n, undefined, false)));
      const fs = run(c.rule, s);
      assert.equal(fs.length, 1);
      assert.deepEqual(fs[0]!.subject, { kind: 'Cluster', name: 'cluster' });
      assert.deepEqual(fs[0]!.symptom, { kind: c.kind, nodes: [] });
    });
  }
});
