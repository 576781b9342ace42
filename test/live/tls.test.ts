/**
 * TLS checks against the lab's outside world, which serves one certificate of each shape on its
 * web address (src/lab/outside-tls.ts): valid from the lab CA, expired, issued for another name,
 * self-signed. `diagnose --tls-target` must verify the first from every node and name each of
 * the others for what it is; `validate --tls-target` must pass and fail them the same way; and a
 * handshake that fails from one node only (its masquerade removed) must become that node's
 * symptom, explained by the node's own cause. Skipped, with the reason, when the lab is down.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Report } from '../../src/core/model.ts';
import { breakFault, healFaults } from '../../src/lab/fault-runner.ts';
import { OUTSIDE_TLS_PORTS } from '../../src/lab/outside-tls.ts';
import { labPaths } from '../../src/lab/paths.ts';
import { NET } from '../../src/lab/topology.ts';
import { loadVersions } from '../../src/lab/versions.ts';
import {
  kubectl,
  type LabInfo,
  labArgs,
  labOrSkipReason,
  OUTSIDE_ARGS,
  ownedPods,
  useNamespace,
} from './live-lab.ts';

const status = labOrSkipReason();
const skip = 'skip' in status ? status.skip : false;
const lab = ('lab' in status ? status.lab : undefined) as LabInfo;
const paths = labPaths(loadVersions());
const work = mkdtempSync(join(tmpdir(), 'ndt-tls-live-'));
const NS = `ndt-tls-live-${process.pid}`;
const target = (kind: keyof typeof OUTSIDE_TLS_PORTS): string =>
  `${NET.outsideWebName}:${OUTSIDE_TLS_PORTS[kind]}`;
const TLS_ARGS = [
  ...Object.keys(OUTSIDE_TLS_PORTS).flatMap((k) => [
    '--tls-target',
    target(k as keyof typeof OUTSIDE_TLS_PORTS),
  ]),
  '--tls-ca',
  join(paths.pki, 'ca.crt'),
];

useNamespace(lab, NS, skip);
after(() => rmSync(work, { recursive: true, force: true }));

function cli(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['src/cli/main.ts', ...args], { encoding: 'utf8', timeout: 240_000 });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function diagnose(tag: string): Report {
  const out = join(work, tag);
  const r = cli(['diagnose', ...labArgs(lab, NS), ...OUTSIDE_ARGS, ...TLS_ARGS, '--out', out, '-o', 'json']);
  assert.ok(r.code === 0 || r.code === 1, `diagnose exited ${r.code}: ${r.stderr.slice(-2000)}`);
  return JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as Report;
}

/** `validate --tls-target` on one of the outside services: its exit code and its TLS checks. */
function validateTls(kind: keyof typeof OUTSIDE_TLS_PORTS): {
  code: number | null;
  tls: { status: string; detail?: string }[];
} {
  const args = labArgs(lab, NS).map((a) => (a === '--agent-namespace' ? '--probe-namespace' : a));
  const r = cli([
    'validate',
    ...args,
    '--tls-target',
    target(kind),
    '--tls-ca',
    join(paths.pki, 'ca.crt'),
    '-o',
    'json',
  ]);
  const checks = (JSON.parse(r.stdout) as { checks: { group: string; status: string; detail?: string }[] })
    .checks;
  return { code: r.code, tls: checks.filter((c) => c.group === 'tls') };
}

/** A lab node running no CoreDNS pod (3 nodes, 2 replicas: there is always one). */
function nodeWithoutCoreDns(): string {
  const r = kubectl(lab, ['get', 'pods', '-n', 'kube-system', '-l', 'k8s-app=kube-dns', '-o', 'json']);
  assert.ok(r.ok, r.err);
  const hosts = new Set(
    (JSON.parse(r.out) as { items: { spec: { nodeName?: string } }[] }).items.map((p) => p.spec.nodeName),
  );
  const node = lab.nodes.map((n) => n.name).find((n) => !hosts.has(n));
  assert.ok(node, `every node hosts CoreDNS: ${[...hosts].join(', ')}`);
  return node;
}

const causes = (r: Report): string[] =>
  r.rootCauses.map((c) => `${c.category} ${c.subject.kind}/${c.subject.name}`).sort();

describe('TLS checks against the lab outside world', { skip, concurrency: false, timeout: 900_000 }, () => {
  it('verifies the valid certificate from every node and names each bad one', (t) => {
    const report = diagnose('shapes');
    const tls = report.probes.results?.filter((r) => r.scenario === 'tls') ?? [];
    assert.equal(tls.length, lab.nodes.length * Object.keys(OUTSIDE_TLS_PORTS).length);
    for (const r of tls.filter((x) => x.to.name === target('valid'))) {
      assert.equal(r.outcome.status, 'pass', JSON.stringify(r));
      assert.equal(r.tls?.verify, 'ok');
      assert.match(r.tls?.issuer ?? '', /netdoctor-lab-ca/);
      assert.ok((r.tls?.daysLeft ?? 0) >= 360, JSON.stringify(r.tls));
      assert.ok(r.tls?.tlsMs !== undefined && r.tls.tlsMs > 0);
    }
    assert.deepEqual(causes(report), [
      `external.certificate-expired External/${target('expired')}`,
      `external.certificate-name-mismatch External/${target('wrongName')}`,
      `external.certificate-untrusted External/${target('selfSigned')}`,
    ]);
    assert.deepEqual(report.unexplained, []);
    t.diagnostic(report.rootCauses.map((c) => c.summary).join('\n'));
  });

  it('validate passes the valid service and fails the others, node by node', () => {
    const ok = validateTls('valid');
    assert.equal(ok.tls.length, lab.nodes.length);
    assert.ok(
      ok.tls.every((c) => c.status === 'pass' && /certificate valid \d+ more days/.test(c.detail ?? '')),
      JSON.stringify(ok.tls),
    );
    const bad = validateTls('expired');
    assert.equal(bad.code, 1);
    assert.ok(
      bad.tls.length === lab.nodes.length &&
        bad.tls.every((c) => c.status === 'fail' && /expired/.test(c.detail ?? '')),
      JSON.stringify(bad.tls),
    );
  });

  it('a handshake failing from one node only is that node’s symptom, explained by its own cause', async () => {
    // The node must host no CoreDNS replica: a replica there would lose its own upstream
    // lookups, and handshakes from every node that reached it would fail too (another shape).
    const node = nodeWithoutCoreDns();
    await breakFault(paths, 'masquerade-removed', node);
    try {
      const report = diagnose('one-node');
      const symptom = report.findings.find((f) => f.rule === 'probe-tls-failed');
      assert.ok(symptom, JSON.stringify(report.findings.map((f) => f.id)));
      assert.deepEqual(symptom.symptom?.nodes, [node]);
      const masq = report.rootCauses.find((c) => c.category === 'node.masquerade-missing');
      assert.equal(masq?.subject.name, node, causes(report).join('; '));
      assert.ok(
        masq.explains.includes(symptom.id),
        `${masq.explains.join(', ')} should include ${symptom.id}`,
      );
    } finally {
      const healed = await healFaults(paths);
      assert.deepEqual(healed.residue, []);
    }
    assert.deepEqual(
      ownedPods(lab).filter((p) => p.startsWith(`${NS}/`)),
      [],
    );
  });
});
