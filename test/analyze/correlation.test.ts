import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze } from '../../src/analyze/engine.ts';
import { SnapshotBuilder } from '../support/snapshot-builder.ts';

const NOW = new Date('2025-10-13T22:06:00Z');

describe('correlation', () => {
  it('healthy cluster: no root cause, verdict healthy, nothing above info', () => {
    const r = analyze(SnapshotBuilder.flannel().build(), { now: NOW });
    assert.deepEqual(r.rootCauses, []);
    assert.equal(r.verdict, 'healthy');
    assert.deepEqual(
      r.findings.filter((f) => f.severity !== 'info').map((f) => f.id),
      [],
    );
    assert.equal(r.pattern.match, 'none');
    assert.equal(r.rules.filter((o) => o.status === 'error').length, 0);
  });

  it('seed 004: flannel stalled on worker-2 (hosting CoreDNS) is the one root cause of DNS failures everywhere', () => {
    const r = analyze(
      SnapshotBuilder.flannel({ corednsNodes: ['worker-2', 'worker-3'] })
        .stallFlannel('worker-2')
        .build(),
      { now: NOW },
    );
    assert.equal(
      r.rootCauses.length,
      1,
      r.rootCauses.map((c) => `${c.category} ${c.subject.name}`).join('; '),
    );
    const [rc] = r.rootCauses;
    assert.ok(rc);
    assert.ok(['cni.agent-stalled', 'cni.routes-missing'].includes(rc.category));
    assert.deepEqual(rc.subject, { kind: 'Node', name: 'worker-2' });
    const byId = new Map(r.findings.map((f) => [f.id, f]));
    const dnsFrom = (node: string) =>
      rc.explains.some((id) => {
        const f = byId.get(id);
        return f?.symptom?.kind.startsWith('dns') && f.subject.name === node;
      });
    assert.ok(dnsFrom('worker-1'), 'explains DNS failures from worker-1');
    assert.ok(dnsFrom('worker-3'), 'explains DNS failures from worker-3');
    assert.equal(r.verdict, 'broken');
    assert.ok(rc.confidence >= 0.9 && rc.confidence <= 0.99);
  });

  it('seed 001 cascade: DaemonSet deleted, kube-proxy and CoreDNS crash-looping -> cni.daemonset-missing first, pattern confirmed', () => {
    const s = SnapshotBuilder.flannel()
      .deleteFlannelDaemonSet()
      .crashKubeProxy()
      .crashCoredns()
      .isolatePods()
      .build();
    const r = analyze(s, { now: NOW });
    assert.equal(r.rootCauses[0]?.category, 'cni.daemonset-missing');
    assert.equal(r.pattern.match, 'confirmed');
    assert.ok(r.pattern.score >= 4);
    assert.ok(r.pattern.signals.includes('coredns-crashloop'));
    assert.ok(r.pattern.signals.includes('kube-proxy-restarts'));
    assert.ok(r.pattern.signals.includes('cni-daemonset-missing'));
    assert.equal(r.verdict, 'broken');
    const first = r.rootCauses[0];
    assert.ok(first?.explains.some((id) => id.startsWith('dns-coredns-not-ready/')));
    assert.ok(
      !r.rootCauses.some(
        (c) => c.category === 'dns.coredns-not-ready' || c.category === 'dns.upstream-unreachable',
      ),
    );
  });

  it('kube-proxy crash alone: proxy.not-ready on each worker, degraded', () => {
    const r = analyze(SnapshotBuilder.flannel().crashKubeProxy(['worker-1', 'worker-2']).build(), {
      now: NOW,
    });
    assert.deepEqual(r.rootCauses.map((c) => `${c.category} ${c.subject.name}`).sort(), [
      'proxy.not-ready worker-1',
      'proxy.not-ready worker-2',
    ]);
    assert.equal(r.verdict, 'degraded');
    assert.equal(r.pattern.match, 'partial');
  });

  it('CoreDNS upstream unreachable: one root cause explaining the external-name failures', () => {
    const r = analyze(SnapshotBuilder.flannel().corednsUpstreamUnreachable().build(), { now: NOW });
    assert.equal(r.rootCauses.length, 1);
    assert.equal(r.rootCauses[0]?.category, 'dns.upstream-unreachable');
    assert.ok((r.rootCauses[0]?.explains.length ?? 0) >= 4);
    assert.ok(r.rootCauses[0]?.summary.includes('192.168.4.1:53'));
  });

  it('selector typo: service.no-endpoints explains the empty endpoints and names the near-miss', () => {
    const r = analyze(SnapshotBuilder.flannel().selectorTypo().build(), { now: NOW });
    assert.equal(r.rootCauses.length, 1);
    const rc = r.rootCauses[0];
    assert.equal(rc?.category, 'service.no-endpoints');
    assert.deepEqual(rc?.subject, { kind: 'Service', namespace: 'default', name: 'web-frontend' });
    assert.ok(rc?.explains.includes('service-endpoints-empty/Service/default/web-frontend'));
    assert.match(rc?.summary ?? '', /app: web-frontend \(selector wants app: webfrontend\)/);
  });

  it('Corefile loop: dns.config-invalid absorbs CoreDNS not ready', () => {
    const r = analyze(SnapshotBuilder.flannel().corefileLoop().build(), { now: NOW });
    assert.equal(r.rootCauses[0]?.category, 'dns.config-invalid');
    assert.ok(!r.rootCauses.some((c) => c.category === 'dns.coredns-not-ready'));
    assert.equal(r.verdict, 'broken');
  });

  it('NotReady node absorbs the causes on it', () => {
    const r = analyze(SnapshotBuilder.flannel().nodeNotReady('worker-3').build(), { now: NOW });
    assert.equal(r.rootCauses[0]?.category, 'node.not-ready');
    assert.equal(r.rootCauses.filter((c) => c.subject.name === 'worker-3').length, 1);
  });
});
