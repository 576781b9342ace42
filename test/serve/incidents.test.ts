import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RootCause } from '../../src/core/model.ts';
import { diffIncidents, incidentKeyOf } from '../../src/serve/incidents.ts';

function rc(category: RootCause['category'], name: string, summary = `${category} on ${name}`): RootCause {
  return {
    category,
    subject: { kind: 'Node', name },
    confidence: 0.9,
    summary,
    evidence: [],
    explains: [],
    remediation: [],
    finding: `${category}/${name}`,
  };
}

describe('incidents: one per root cause, keyed by category and subject', () => {
  it('opens, continues and resolves', () => {
    const t1 = '2026-01-01T00:00:00.000Z';
    const t2 = '2026-01-01T00:01:00.000Z';
    const first = diffIncidents(
      [],
      [rc('cni.routes-missing', 'n2'), rc('node.ip-forward-disabled', 'n1')],
      t1,
    );
    assert.equal(first.opened.length, 2);
    assert.deepEqual(first.resolved, []);
    const second = diffIncidents(first.opened, [rc('cni.routes-missing', 'n2', 'now 3 routes')], t2);
    assert.deepEqual(second.opened, []);
    assert.equal(second.continued.length, 1);
    assert.equal(second.continued[0]?.summary, 'now 3 routes');
    assert.equal(second.continued[0]?.appearedAt, t1, 'a changed summary is the same incident');
    assert.equal(second.continued[0]?.lastSeenAt, t2);
    assert.deepEqual(
      second.resolved.map((i) => [i.key, i.resolvedAt]),
      [[incidentKeyOf('node.ip-forward-disabled', { kind: 'Node', name: 'n1' }), t2]],
    );
  });

  it('a category and subject named twice in one report is one incident', () => {
    const d = diffIncidents([], [rc('cni.routes-missing', 'n2'), rc('cni.routes-missing', 'n2')], 't');
    assert.equal(d.opened.length, 1);
  });

  it('keys tell namespaces apart', () => {
    assert.notEqual(
      incidentKeyOf('service.no-endpoints', { kind: 'Service', name: 'web', namespace: 'a' }),
      incidentKeyOf('service.no-endpoints', { kind: 'Service', name: 'web', namespace: 'b' }),
    );
  });
});
