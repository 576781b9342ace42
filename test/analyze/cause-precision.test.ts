import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze } from '../../src/analyze/engine.ts';
import type { Snapshot } from '../../src/core/model.ts';
import { misdirectFdb } from '../support/datapath-builder.ts';
import { SnapshotBuilder } from '../support/snapshot-builder.ts';

const NOW = new Date('2025-10-13T22:06:00Z');

function named(s: Snapshot): string[] {
  return analyze(s, { now: NOW }).rootCauses.map((c) => `${c.category} ${c.subject.name}`);
}

/** Marks the pod-to-pod probes between two nodes (both ways) as timed out. */
function failBetween(s: Snapshot, a: string, b: string): void {
  for (const r of s.probes?.results ?? []) {
    const ends = [r.from.node, r.to.node];
    if (r.scenario.startsWith('pod-to-pod') && ends.includes(a) && ends.includes(b))
      r.outcome = { status: 'fail', error: 'timeout' };
  }
}

describe('the root cause is why a component fails, not that it fails', () => {
  it('an FDB entry pointing at the wrong node is overlay.fdb-missing, not a stalled agent', () => {
    const s = SnapshotBuilder.flannel()
      .edit((snap) => {
        misdirectFdb(snap.nodes, 'worker-1', 'worker-2', 'worker-3');
        failBetween(snap, 'worker-1', 'worker-2');
      })
      .build();
    const r = analyze(s, { now: NOW });
    const causes = r.rootCauses.map((c) => `${c.category} ${c.subject.name}`);
    assert.deepEqual(causes, ['overlay.fdb-missing worker-1']);
    assert.ok(!r.findings.some((f) => f.cause?.category === 'cni.agent-stalled'), 'the agent did its job');
    // The traced hop is evidence beside the rule's: the request dies at worker-1's FDB entry.
    const traced = r.findings.find((f) => f.rule === 'trace-failed-probes');
    assert.equal(traced?.cause?.category, 'overlay.fdb-missing');
    assert.ok(r.rootCauses[0]?.explains.includes(traced.id));
  });

  it('CoreDNS crash-looping on a Corefile parse error is dns.config-invalid, not dns.coredns-not-ready', () => {
    const parseError = "/etc/coredns/Corefile:12 - Error during parsing: unknown property 'max_concurent'";
    const s = SnapshotBuilder.flannel()
      .crashCoredns()
      .edit((snap) => {
        for (const key of Object.keys(snap.cluster.logs))
          if (key.startsWith('kube-system/coredns-') && key.endsWith('/previous'))
            snap.cluster.logs[key] = `.:53\n${parseError}\n`;
      })
      .build();
    const r = analyze(s, { now: NOW });
    assert.deepEqual(
      r.rootCauses.map((c) => `${c.category} ${c.subject.name}`),
      ['dns.config-invalid coredns'],
    );
    const rc = r.rootCauses[0];
    assert.ok(rc);
    assert.ok(rc.evidence.some((e) => e.observed.includes('Error during parsing')));
    assert.ok(rc.explains.some((id) => id.startsWith('dns-coredns-not-ready/')));
    assert.deepEqual(rc.remediation, ['fix-corefile']);
  });

  it("a loop line in a healthy CoreDNS pod's log, with a sound Corefile, is a finding, not a root cause", () => {
    const s = SnapshotBuilder.flannel()
      .edit((snap) => {
        const key = Object.keys(snap.cluster.logs).find((k) => k.startsWith('kube-system/coredns-'));
        assert.ok(key);
        snap.cluster.logs[key] +=
          '[FATAL] plugin/loop: Loop (127.0.0.1:55953 -> :53) detected for zone ".", see https://coredns.io/plugins/loop#troubleshooting.\n';
      })
      .build();
    const r = analyze(s, { now: NOW });
    assert.deepEqual(r.rootCauses, []);
    assert.equal(r.findings.find((f) => f.rule === 'dns-config-invalid')?.cause?.basis, 'logs');
  });

  it('a crash-loop with no load error in its log stays dns.coredns-not-ready', () => {
    assert.deepEqual(named(SnapshotBuilder.flannel().crashCoredns().build()), [
      'dns.coredns-not-ready coredns',
    ]);
  });
});
