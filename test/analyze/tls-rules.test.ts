import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze } from '../../src/analyze/engine.ts';
import type { Snapshot } from '../../src/core/model.ts';
import type { ProbeResult, TlsFacts } from '../../src/core/probe-types.ts';
import { SnapshotBuilder } from '../support/snapshot-builder.ts';

const NODES = ['control-plane', 'worker-1', 'worker-2', 'worker-3'];
const TARGET = 'api.example.test:443';
const VALID: TlsFacts = {
  verify: 'ok',
  version: 'TLSv1.3',
  cipher: 'TLS_AES_256_GCM_SHA384',
  subject: 'CN=api.example.test',
  issuer: 'CN=Example CA',
  notAfter: '2027-06-01T00:00:00.000Z',
  daysLeft: 200,
  dnsMs: 1.2,
  tcpMs: 0.4,
  tlsMs: 3.1,
};

/** The healthy cluster, plus a TLS probe to TARGET from every node shaped by `facts(node)`. */
function withTls(
  facts: (node: string) => { tls: TlsFacts; ok: boolean; error?: 'timeout' | 'other' },
): Snapshot {
  return new SnapshotBuilder()
    .edit((s) => {
      for (const node of NODES) {
        const f = facts(node);
        const r: ProbeResult = {
          id: `tls/${node}/${TARGET}`,
          scenario: 'tls',
          from: { node, pod: `netdoctor-probe-client-${node}`, ip: '10.244.9.9' },
          to: { name: TARGET, ip: '198.51.100.7', port: 443 },
          protocol: 'tcp',
          expect: 'pass',
          outcome: f.ok
            ? { status: 'pass', rttMs: 3.1, detail: 'TLSv1.3 TLS_AES_256_GCM_SHA384' }
            : { status: 'fail', error: f.error ?? 'other', detail: f.tls.verifyDetail ?? '' },
          tls: f.tls,
        };
        s.probes?.results.push(r);
      }
    })
    .build();
}

const causes = (s: Snapshot) =>
  analyze(s).rootCauses.map((r) => `${r.category} ${r.subject.kind}/${r.subject.name}`);

describe('TLS rules', () => {
  it('say nothing when every node verifies the certificate', () => {
    const report = analyze(withTls(() => ({ tls: VALID, ok: true })));
    assert.equal(report.verdict, 'healthy');
    assert.deepEqual(
      report.findings.filter((f) => f.severity !== 'info'),
      [],
    );
  });

  it('name each refused certificate for what it is, on the outside service', () => {
    const cases = [
      ['expired', 'certificate has expired', 'external.certificate-expired'],
      [
        'name-mismatch',
        "no alternative certificate subject name matches target host name 'api.example.test'",
        'external.certificate-name-mismatch',
      ],
      ['untrusted', 'unable to get local issuer certificate', 'external.certificate-untrusted'],
    ] as const;
    for (const [verify, why, category] of cases) {
      const snap = withTls(() => ({ tls: { ...VALID, verify, verifyDetail: why }, ok: false }));
      assert.deepEqual(causes(snap), [`${category} External/${TARGET}`], verify);
      const report = analyze(snap);
      assert.equal(report.verdict, 'degraded');
      const rc = report.rootCauses[0];
      assert.match(rc?.summary ?? '', /seen from all 4 nodes that reached it/);
      assert.deepEqual(report.unexplained, [], 'a refused certificate is not a network symptom');
    }
  });

  it('points at the nodes when only some of them see a bad certificate', () => {
    const snap = withTls((n) =>
      n === 'worker-2'
        ? {
            tls: {
              ...VALID,
              verify: 'untrusted',
              verifyDetail: 'self-signed certificate',
              issuer: 'CN=proxy',
            },
            ok: false,
          }
        : { tls: VALID, ok: true },
    );
    const rc = analyze(snap).rootCauses[0];
    assert.equal(rc?.category, 'external.certificate-untrusted');
    assert.match(rc?.summary ?? '', /from worker-2 only, while 3 other probe\(s\) verify it/);
  });

  it('warns of a certificate about to expire, without a root cause', () => {
    const report = analyze(
      withTls(() => ({ tls: { ...VALID, daysLeft: 9, notAfter: '2026-12-14T00:00:00.000Z' }, ok: true })),
    );
    assert.deepEqual(report.rootCauses, []);
    const f = report.findings.find((x) => x.rule === 'tls-certificate-expiring');
    assert.equal(f?.severity, 'warning');
    assert.match(f?.summary ?? '', /expires in 9 days \(2026-12-14\)/);
    const later = analyze(withTls(() => ({ tls: { ...VALID, daysLeft: 25 }, ok: true })));
    assert.equal(later.findings.find((x) => x.rule === 'tls-certificate-expiring')?.severity, 'info');
  });

  it('reports a handshake failing from one node as that node’s symptom, with where to look', () => {
    const snap = withTls((n) =>
      n === 'worker-3'
        ? {
            tls: { verify: 'not-reached', verifyDetail: 'Connection timed out after 3001 milliseconds' },
            ok: false,
            error: 'timeout',
          }
        : { tls: VALID, ok: true },
    );
    const report = analyze(snap);
    const f = report.findings.find((x) => x.rule === 'probe-tls-failed');
    assert.deepEqual(f?.symptom, { kind: 'tls-failed', nodes: ['worker-3'] });
    assert.match(
      f?.summary ?? '',
      /fail from worker-3 .*egress \(masquerade, forwarding\), its MTU and any proxy/,
    );
    assert.deepEqual(report.rootCauses, []);
    assert.equal(report.verdict, 'degraded');
  });
});
