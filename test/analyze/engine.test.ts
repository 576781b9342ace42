import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze } from '../../src/analyze/engine.ts';
import { causeFinding, findingId, symptomFinding } from '../../src/analyze/finding.ts';
import type { Rule } from '../../src/analyze/rule.ts';
import { SnapshotBuilder } from '../support/snapshot-builder.ts';

const NOW = new Date('2025-10-13T22:06:00Z');

const throws: Rule = {
  id: 'test.throws',
  layer: 'node',
  title: 'throws',
  why: 'exercises error outcomes',
  run: () => {
    throw new Error('boom');
  },
};
const skips: Rule = {
  id: 'test.skips',
  layer: 'cni',
  title: 'skips',
  why: 'exercises skip outcomes',
  appliesTo: () => ({ applies: false, reason: 'not for this cluster' }),
  run: () => [],
};
const emits: Rule = {
  id: 'test.emits',
  layer: 'service',
  title: 'emits',
  why: 'exercises ordering',
  run: () => [
    symptomFinding(
      emits,
      { subject: { kind: 'Node', name: 'b' }, severity: 'warning', summary: 'w', evidence: [] },
      { kind: 'dns-failed', nodes: ['b'] },
    ),
    causeFinding(
      { id: 'test.emits', layer: 'node' },
      { subject: { kind: 'Node', name: 'b' }, severity: 'critical', summary: 'c', evidence: [] },
      { category: 'node.not-ready', confidence: 0.5, remediation: [] },
    ),
    symptomFinding(
      emits,
      { subject: { kind: 'Node', name: 'b' }, severity: 'warning', summary: 'dup', evidence: [] },
      { kind: 'dns-failed', nodes: ['b'] },
    ),
  ],
};

describe('engine', () => {
  const snapshot = SnapshotBuilder.flannel().build();

  it('turns a throwing rule into an error outcome and keeps going', () => {
    const r = analyze(snapshot, { rules: [throws, emits], now: NOW });
    assert.deepEqual(r.rules[0], { rule: 'test.throws', status: 'error', error: 'Error: boom' });
    assert.equal(r.rules[1]?.status, 'fail');
  });

  it('records skipped rules with their reason', () => {
    const r = analyze(snapshot, { rules: [skips], now: NOW });
    assert.deepEqual(r.rules, [{ rule: 'test.skips', status: 'skipped', reason: 'not for this cluster' }]);
    assert.equal(r.verdict, 'healthy');
  });

  it('sorts findings by severity then layer, keeps ids unique, and correlates', () => {
    const r = analyze(snapshot, { rules: [emits], now: NOW });
    assert.deepEqual(
      r.findings.map((f) => f.severity),
      ['critical', 'warning', 'warning'],
    );
    assert.equal(new Set(r.findings.map((f) => f.id)).size, 3);
    assert.equal(r.rootCauses.length, 1);
    assert.equal(r.rootCauses[0]?.explains.length, 2);
    assert.equal(r.rootCauses[0]?.confidence, 0.54);
  });

  it('fills the report contract', () => {
    const r = analyze(snapshot, { now: NOW });
    assert.equal(r.schemaVersion, 1);
    assert.equal(r.generatedAt, NOW.toISOString());
    assert.deepEqual(r.gaps, snapshot.gaps);
    assert.equal(r.probes, snapshot.probes);
    assert.ok(r.routeMatrix);
    assert.equal(r.routeMatrix.cells.length, 16);
    assert.ok(r.routeMatrix.cells.every((c) => c.state === 'ok' || c.state === 'local'));
    const noProbes = { ...snapshot };
    delete noProbes.probes;
    assert.deepEqual(analyze(noProbes, { now: NOW }).probes, {});
  });

  it('finding ids are stable', () => {
    assert.equal(findingId('r', { kind: 'Service', namespace: 'ns', name: 'a' }, 'x'), 'r/Service/ns/a/x');
    assert.equal(findingId('r', { kind: 'Node', name: 'n' }), 'r/Node//n');
  });
});
