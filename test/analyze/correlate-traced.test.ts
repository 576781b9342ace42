/** How correlation weighs traced causes, log-only causes and causes with no evidence of their own. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { correlate } from '../../src/analyze/correlate.ts';
import { causeFinding, symptomFinding } from '../../src/analyze/finding.ts';
import type { CauseClaim, Evidence, Finding } from '../../src/core/model.ts';

const node = (name: string) => ({ kind: 'Node' as const, name });
const state = (n: number, what: string): Evidence[] =>
  Array.from({ length: n }, (_, i) => ({ source: `nodes/worker-1/${what}-${i}`, observed: `${what} ${i}` }));
const probe = (id: string): Evidence => ({ source: `probes/results.json#${id}`, observed: `${id}: FAIL` });

const crossNode = symptomFinding(
  { id: 'probe-pod-to-pod-failed', layer: 'policy' },
  {
    subject: node('worker-1'),
    severity: 'error',
    summary: 'worker-1 and worker-2 cannot talk',
    evidence: [probe('p1')],
    detail: 'worker-2',
  },
  { kind: 'cross-node-failed', nodes: ['worker-1', 'worker-2'] },
);

function traced(own: number, explains: string[]): Finding {
  return causeFinding(
    { id: 'trace-failed-probes', layer: 'node' },
    {
      subject: node('worker-1'),
      severity: 'error',
      summary: 'worker-1 filter FORWARD drops it',
      evidence: [...state(own, 'rule'), probe('p1')],
      detail: 'fw',
    },
    { category: 'node.firewall-drops-traffic', confidence: 0.9, remediation: [], basis: 'trace', explains },
  );
}

function routes(own: number, claim: Partial<CauseClaim> = {}): Finding {
  return causeFinding(
    { id: 'cni-routes-missing', layer: 'cni' },
    {
      subject: node('worker-1'),
      severity: 'error',
      summary: 'worker-1 lacks a route',
      evidence: [...state(own, 'route'), probe('p1')],
    },
    { category: 'cni.routes-missing', confidence: 0.9, remediation: [], ...claim },
  );
}

const roots = (fs: Finding[]) => correlate(fs).map((r) => `${r.category} [${r.explains.join(',')}]`);

describe('correlation of traced causes', () => {
  it('a traced cause explains the symptoms its traces end at', () => {
    assert.deepEqual(roots([crossNode, traced(1, [crossNode.id])]), [
      `node.firewall-drops-traffic [${crossNode.id}]`,
    ]);
  });

  it('a catalog cause explaining the same symptoms with more evidence of its own outranks it', () => {
    const t = traced(1, [crossNode.id]);
    assert.deepEqual(roots([crossNode, t, routes(2)]), [
      `cni.routes-missing [${[crossNode.id, t.id].sort().join(',')}]`,
    ]);
  });

  it('with no more evidence than the traced cause, the catalog cause does not outrank it', () => {
    const got = roots([crossNode, traced(2, [crossNode.id]), routes(2)]);
    assert.equal(got.length, 2, got.join('; '));
    assert.ok(got.some((g) => g.startsWith('node.firewall-drops-traffic')));
  });

  it('a root cause with no evidence of its own, all of whose symptoms another explains, is demoted', () => {
    const bare = routes(0);
    const got = correlate([crossNode, traced(1, [crossNode.id]), bare]);
    assert.deepEqual(
      got.map((r) => r.category),
      ['node.firewall-drops-traffic'],
    );
    assert.ok(
      got[0]?.explains.includes(bare.id),
      'the demoted cause is listed under the one that explains it',
    );
  });

  it('a cause resting on log lines alone is never a root cause', () => {
    assert.deepEqual(roots([crossNode, routes(1, { basis: 'logs' })]), []);
    assert.equal(roots([crossNode, routes(1, { basis: 'probes' })]).length, 1);
  });
});
