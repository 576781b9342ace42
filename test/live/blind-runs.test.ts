/**
 * A run that cannot look must say so, fast: against the real lab, every way a diagnosis goes
 * blind ends in exit 5 (inconclusive) or exit 3 (cannot read the cluster) with a one-line reason
 * within 30 s; a node whose pods cannot get a network is a finding on that node; and the lab
 * works with netdoctor's default agent image. Skipped, with the reason, when the lab is not up.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import type { Report } from '../../src/core/model.ts';
import {
  kubectl,
  LAB_IMAGE,
  type LabInfo,
  labArgs,
  labFault,
  labHealAndSettle,
  labOrSkipReason,
  OUTSIDE_ARGS,
  ownedPods,
  useNamespace,
} from './live-lab.ts';

const status = labOrSkipReason();
const skip = 'skip' in status ? status.skip : false;
const lab = ('lab' in status ? status.lab : undefined) as LabInfo;
const work = mkdtempSync(join(tmpdir(), 'ndt-blind-live-'));
/** This suite's agents and probes go in a namespace of their own. */
const NS = `ndt-blind-live-${process.pid}`;
/** What a blind run may take, from start to exit. */
const BLIND_MS = 30_000;

useNamespace(lab, NS, skip);
after(() => rmSync(work, { recursive: true, force: true }));

/** Runs the CLI and times it. */
function timedCli(
  args: string[],
  timeoutMs = 180_000,
): { code: number | null; stdout: string; stderr: string; ms: number } {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, ['src/cli/main.ts', ...args], {
    encoding: 'utf8',
    timeout: timeoutMs,
  });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', ms: Date.now() - t0 };
}

/** The first line netdoctor printed on stderr about why it stopped. */
function reasonLine(stderr: string): string {
  return stderr.split('\n').find((l) => l.startsWith('netdoctor: ')) ?? '';
}

/** The lab's kubeconfig with its user or CA replaced. */
function kubeconfigWith(name: string, change: { token?: string; caData?: string }): string {
  const admin = parseYaml(readFileSync(lab.kubeconfig, 'utf8')) as {
    clusters: { name: string; cluster: Record<string, string> }[];
  };
  const cluster = { ...admin.clusters[0]?.cluster };
  assert.ok(cluster['server']);
  if (change.caData !== undefined) {
    delete cluster['certificate-authority'];
    cluster['certificate-authority-data'] = change.caData;
  }
  const path = join(work, `${name}.kubeconfig`);
  writeFileSync(
    path,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'lab', cluster }],
      users: [{ name: 'blind', user: { token: change.token ?? 'not-a-valid-token' } }],
      contexts: [{ name: `${name}@lab`, context: { cluster: 'lab', user: 'blind' } }],
      'current-context': `${name}@lab`,
    }),
  );
  return path;
}

describe('blind runs end fast with the reason (live lab)', {
  skip,
  concurrency: false,
  timeout: 900_000,
}, () => {
  it('an agent image the nodes cannot pull: exit 5 in 30 s, one line naming the image, a node and --agent-image', () => {
    // A registry on the node's own loopback that refuses at once: the pull fails for certain.
    const image = '127.0.0.1:1/netdoctor/unpullable:1';
    const r = timedCli([
      'diagnose',
      '--kubeconfig',
      lab.kubeconfig,
      '--agent-image',
      image,
      '--agent-namespace',
      NS,
      '--out',
      join(work, 'pull'),
    ]);
    const line = reasonLine(r.stderr);
    assert.equal(r.code, 5, r.stderr);
    assert.ok(r.ms <= BLIND_MS, `took ${r.ms} ms`);
    assert.match(line, new RegExp(`cannot pull the agent image ${image.replace(/[.]/g, '\\.')}`));
    assert.match(line, new RegExp(`node (${lab.nodes.map((n) => n.name).join('|')}) `));
    assert.match(line, /--agent-image/);
    assert.match(line, /ctr -n k8s\.io images import/);
    assert.deepEqual(
      ownedPods(lab).filter((p) => p.startsWith(`${NS}/`)),
      [],
    );
  });

  it('an agent namespace that does not exist: exit 5 before anything is created', () => {
    const missing = `ndt-no-such-ns-${process.pid}`;
    const before = ownedPods(lab);
    const r = timedCli([
      'diagnose',
      '--kubeconfig',
      lab.kubeconfig,
      '--agent-image',
      LAB_IMAGE,
      '--agent-namespace',
      missing,
      '--out',
      join(work, 'nons'),
    ]);
    assert.equal(r.code, 5, r.stderr);
    assert.ok(r.ms <= BLIND_MS, `took ${r.ms} ms`);
    assert.match(reasonLine(r.stderr), new RegExp(`namespace ${missing} .*does not exist`));
    assert.deepEqual(ownedPods(lab), before, 'nothing was created');
    assert.equal(kubectl(lab, ['get', 'namespace', missing]).ok, false);
  });

  it('credentials the API server refuses (401): exit 3 naming the server, the context and the status', () => {
    const r = timedCli([
      'diagnose',
      '--kubeconfig',
      kubeconfigWith('badtoken', {}),
      '--out',
      join(work, '401'),
    ]);
    assert.equal(r.code, 3, r.stderr);
    assert.ok(r.ms <= BLIND_MS, `took ${r.ms} ms`);
    const line = reasonLine(r.stderr);
    assert.match(line, /https:\/\//);
    assert.match(line, /badtoken@lab/);
    assert.match(line, /HTTP 401/);
    assert.equal(r.stdout, '');
  });

  it('a CA that does not sign the server certificate: exit 3 naming the TLS error', () => {
    const dir = mkdtempSync(join(work, 'ca-'));
    const made = spawnSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        join(dir, 'k.pem'),
        '-out',
        join(dir, 'c.pem'),
        '-days',
        '1',
        '-subj',
        '/CN=not-the-lab',
      ],
      { encoding: 'utf8' },
    );
    assert.equal(made.status, 0, made.stderr);
    const caData = Buffer.from(readFileSync(join(dir, 'c.pem'))).toString('base64');
    const r = timedCli([
      'diagnose',
      '--kubeconfig',
      kubeconfigWith('wrongca', { caData }),
      '--out',
      join(work, 'tls'),
    ]);
    assert.equal(r.code, 3, r.stderr);
    assert.ok(r.ms <= BLIND_MS, `took ${r.ms} ms`);
    assert.match(reasonLine(r.stderr), /wrongca@lab.*TLS error/);
  });

  it('a node whose pods cannot get a network (cni0 re-addressed): a finding on that node, not a gap, found in 60 s', async () => {
    const broken = lab.nodes[1]?.name;
    assert.ok(broken);
    labFault(['break', 'cni-bridge-wrong-address', '--node', broken]);
    try {
      const r = timedCli([
        'diagnose',
        ...labArgs(lab, NS),
        ...OUTSIDE_ARGS,
        '--out',
        join(work, 'sandbox'),
        '-o',
        'json',
      ]);
      assert.equal(r.code, 1, r.stderr);
      // The probe set-up used to wait out its budget here (110-130 s).
      assert.ok(r.ms <= 60_000, `took ${r.ms} ms`);
      const report = JSON.parse(r.stdout) as Report;
      const f = report.findings.find((x) => x.rule === 'probe-pod-start-failed' && x.subject.name === broken);
      assert.ok(f, `findings: ${report.findings.map((x) => x.id).join(', ')}`);
      assert.deepEqual(f.symptom, { kind: 'pod-network-failed', nodes: [broken] });
      assert.match(f.summary, /FailedCreatePodSandBox/);
      assert.deepEqual(
        report.gaps.filter((g) => g.node === broken && g.collector === 'probe/server'),
        [],
        'not a gap',
      );
      const rc = report.rootCauses.find((x) => x.category === 'cni.bridge-address-mismatch');
      assert.equal(rc?.subject.name, broken);
      assert.ok(rc?.explains.includes(f.id), 'the bridge on that node explains it');
    } finally {
      await labHealAndSettle(lab);
    }
  });

  it("the healthy lab with netdoctor's default agent image: healthy, exit 0, full coverage", {}, () => {
    const r = timedCli([
      'diagnose',
      '--kubeconfig',
      lab.kubeconfig,
      '--agent-namespace',
      NS,
      ...OUTSIDE_ARGS,
      '--out',
      join(work, 'defaults'),
      '-o',
      'json',
    ]);
    // A lab started before it tagged its toolbox under the default name ends in exit 5 here.
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as Report;
    assert.equal(
      report.verdict,
      'healthy',
      `${report.rootCauses.map((c) => `${c.category} on ${c.subject.kind} ${c.subject.name}: ${c.summary}`).join('; ')} ${JSON.stringify(report.coverage)}`,
    );

    assert.equal(report.coverage.nodes.collected, lab.nodes.length);
    assert.equal(report.coverage.sufficient, true);
    assert.deepEqual(report.unexplained, []);
  });
});
