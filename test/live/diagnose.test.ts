/**
 * `netdoctor diagnose` against the real lab: a healthy run (in-process through the pipeline and
 * once through the CLI), an interrupted run, a read-only ServiceAccount and an unreachable API
 * server. Skipped, with the reason, when the lab is not running.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { KubePort, loadKubeConfig } from '../../src/cluster/kube-port.ts';
import { NODE_FILES } from '../../src/collect/bundle/layout.ts';
import { pendingCleanups } from '../../src/core/cleanup.ts';
import type { Report } from '../../src/core/model.ts';
import { runDiagnosis } from '../../src/diagnose/pipeline.ts';
import { NET } from '../../src/lab/topology.ts';
import {
  kubectl,
  LAB_IMAGE,
  type LabInfo,
  labArgs,
  labOrSkipReason,
  OUTSIDE_ARGS,
  ownedPods,
  until,
  useNamespace,
} from './live-lab.ts';

const status = labOrSkipReason();
const skip = 'skip' in status ? status.skip : false;
const lab = ('lab' in status ? status.lab : undefined) as LabInfo;
const work = mkdtempSync(join(tmpdir(), 'ndt-diag-live-'));
/** Agents and probes of these tests go in a namespace of their own, so the ownership checks
 * see only this suite's objects while other suites use the lab at the same time. */
const NS = `ndt-diag-live-${process.pid}`;
useNamespace(lab, NS, skip);
after(() => rmSync(work, { recursive: true, force: true }));
const mine = (): string[] => ownedPods(lab).filter((p) => p.startsWith(`${NS}/`));

function cli(args: string[], timeoutMs = 180_000): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['src/cli/main.ts', ...args], {
    encoding: 'utf8',
    timeout: timeoutMs,
  });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function assertHealthy(report: Report): void {
  const notable = report.findings.filter((f) => f.severity !== 'info');
  assert.deepEqual(
    notable.map((f) => `${f.severity} ${f.id}: ${f.summary}`),
    [],
    'no finding above info on the healthy lab',
  );
  assert.deepEqual(report.rootCauses, []);
  assert.equal(report.verdict, 'healthy');
}

describe('diagnose against the live lab', { skip, concurrency: false }, () => {
  it('healthy lab, in-process: no false finding, node files for every node, no agent left', async (t) => {
    const port = new KubePort(loadKubeConfig({ kubeconfig: lab.kubeconfig }));
    const outDir = join(work, 'inproc');
    const result = await runDiagnosis(port, {
      outDir,
      nodeAccess: { kind: 'agent', image: LAB_IMAGE, namespace: NS },
      probes: true,
      probeNamespace: NS,
      probeImage: LAB_IMAGE,
      // Diagnose the lab as it is meant to be diagnosed: with its outside world as the egress
      // and external-DNS targets. A passing external lookup is fresh evidence that outweighs
      // CoreDNS log lines left over from an earlier fault (they carry no timestamps).
      externalTarget: `http://${NET.outsideWeb}/`,
      externalName: NET.outsideWebName,
    });
    assertHealthy(result.report);
    for (const node of lab.nodes) {
      for (const file of [
        NODE_FILES.routes,
        NODE_FILES.links,
        NODE_FILES.fdb,
        NODE_FILES.iptablesNft,
        NODE_FILES.sysctls,
      ]) {
        assert.ok(existsSync(join(outDir, 'nodes', node.name, file)), `${node.name}/${file}`);
      }
    }
    assert.deepEqual(
      result.report.gaps.filter((g) => g.collector.startsWith('node/') && g.reason !== 'error'),
      [],
      'no node part missing except commands the kernel cannot answer',
    );
    for (const f of [
      'report.json',
      'DIAGNOSIS-REPORT.md',
      'diagnosis-summary.txt',
      'report.html',
      'manifest.json',
    ])
      assert.ok(existsSync(join(outDir, f)), f);
    assert.ok(existsSync(result.archive));
    // Every ordered pair of nodes was pinged, every echo answered, and nothing stands out.
    const latency = result.report.latencyMatrix;
    assert.ok(latency, 'the ICMP probes measured round trips');
    assert.equal(latency.cells.length, lab.nodes.length * (lab.nodes.length - 1));
    for (const c of latency.cells) {
      assert.equal(c.received, c.sent, `${c.from} -> ${c.to}: ${c.received} of ${c.sent}`);
      assert.ok(c.minMs !== undefined && c.minMs > 0 && c.outlier === undefined, JSON.stringify(c));
    }
    t.diagnostic(
      `latency: baseline ${latency.baselineMs} ms; ${latency.cells.map((c) => `${c.from}->${c.to} ${c.minMs}/${c.avgMs}/${c.maxMs}`).join(', ')}`,
    );
    assert.deepEqual(ownedPods(lab, result.runId), []);
    assert.deepEqual(pendingCleanups(), []);
    t.diagnostic(`timings ${JSON.stringify(result.timings)} api calls ${result.apiCalls.total}`);
  });

  it('healthy lab, through the CLI with -o json: healthy and exit 0, three runs in a row', (_t) => {
    for (const run of [1, 2, 3]) {
      const out = join(work, `cli-${run}`);
      const r = cli(['diagnose', ...labArgs(lab, NS), ...OUTSIDE_ARGS, '--out', out, '-o', 'json']);
      const report = JSON.parse(r.stdout) as Report;
      assertHealthy(report);
      assert.equal(r.code, 0, `run ${run}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`bundle: ${out}`));
      assert.deepEqual(JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')).verdict, report.verdict);
      assert.deepEqual(mine(), []);
    }
  });

  it('SIGINT while the agents run leaves no owned pod behind', async () => {
    const child = spawn(
      process.execPath,
      ['src/cli/main.ts', 'diagnose', ...labArgs(lab, NS), '--out', join(work, 'sigint'), '--no-probes'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const sawAgents = await until(() => mine().length > 0, 60_000, 100);
    assert.ok(sawAgents, `agents never appeared: ${stderr}`);
    child.kill('SIGINT');
    const code = await exited;
    assert.equal(code, 130, stderr);
    assert.match(stderr, /SIGINT: cleaning up/);
    assert.ok(await until(() => mine().length === 0, 30_000), `left behind: ${mine().join(', ')}`);
  });

  it('a read-only ServiceAccount (no pods create, no exec) gives an inconclusive report with gaps, not a crash', async (t) => {
    const ns = `ndt-diag-ro-${process.pid}`;
    const role = `ndt-diag-readonly-${process.pid}`;
    t.after(() => {
      kubectl(lab, ['delete', 'namespace', ns, '--wait=false', '--ignore-not-found']);
      kubectl(lab, ['delete', 'clusterrolebinding', role, '--ignore-not-found']);
      kubectl(lab, ['delete', 'clusterrole', role, '--ignore-not-found']);
    });
    const manifest = [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'reader', namespace: ns } },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: role },
        rules: [
          {
            apiGroups: [''],
            resources: ['nodes', 'namespaces', 'pods', 'services', 'configmaps', 'events'],
            verbs: ['get', 'list'],
          },
          { apiGroups: ['apps'], resources: ['daemonsets', 'deployments'], verbs: ['get', 'list'] },
          { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list'] },
          { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['get', 'list'] },
        ],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: role },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
        subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: ns }],
      },
    ];
    const applied = kubectl(
      lab,
      ['apply', '-f', '-'],
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items: manifest }),
    );
    assert.ok(applied.ok, applied.err);
    // TokenRequest API (kubectl create token), short-lived.
    const token = kubectl(lab, ['create', 'token', 'reader', '-n', ns, '--duration', '10m']);
    assert.ok(token.ok, token.err);
    const admin = parseYaml(readFileSync(lab.kubeconfig, 'utf8')) as {
      clusters: { name: string; cluster: Record<string, string> }[];
    };
    const cluster = admin.clusters[0];
    assert.ok(cluster);
    const kubeconfig = join(work, 'readonly.kubeconfig');
    writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'lab', cluster: cluster.cluster }],
        users: [{ name: 'reader', user: { token: token.out.trim() } }],
        contexts: [{ name: 'reader@lab', context: { cluster: 'lab', user: 'reader' } }],
        'current-context': 'reader@lab',
      }),
    );
    const out = join(work, 'readonly');
    const r = cli([
      'diagnose',
      '--kubeconfig',
      kubeconfig,
      '--agent-image',
      LAB_IMAGE,
      '--agent-namespace',
      NS,
      '--out',
      out,
      '-o',
      'json',
    ]);
    // No agent and no probe pod could be created: nothing was seen, so nothing is called healthy.
    assert.equal(r.code, 5, r.stderr);
    const report = JSON.parse(r.stdout) as Report;
    assert.equal(report.verdict, 'inconclusive');
    assert.equal(report.coverage.nodes.collected, 0);
    assert.equal(report.coverage.nodes.total, lab.nodes.length);
    assert.equal(report.coverage.sufficient, false);
    const forbidden = report.gaps.filter((g) => g.reason === 'forbidden');
    assert.ok(
      forbidden.some((g) => g.collector === 'node/agent'),
      JSON.stringify(report.gaps),
    );
    assert.ok(
      forbidden.some((g) => g.collector.startsWith('logs/')),
      'pod logs are forbidden too',
    );
    assert.ok(existsSync(join(out, 'report.json')));
    t.diagnostic(`verdict ${report.verdict}; ${report.gaps.length} gaps`);
    assert.deepEqual(mine(), []);
  });

  it('an unreachable API server exits 3 naming the server and context', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const kubeconfig = join(work, 'closed.kubeconfig');
    writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          {
            name: 'gone',
            cluster: { server: `https://127.0.0.1:${port}`, 'insecure-skip-tls-verify': true },
          },
        ],
        users: [{ name: 'u', user: { token: 'x' } }],
        contexts: [{ name: 'gone-ctx', context: { cluster: 'gone', user: 'u' } }],
        'current-context': 'gone-ctx',
      }),
    );
    const r = cli(
      ['diagnose', '--kubeconfig', kubeconfig, '--out', join(work, 'closed'), '-o', 'json'],
      60_000,
    );
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, new RegExp(`https://127\\.0\\.0\\.1:${port}`));
    assert.match(r.stderr, /gone-ctx/);
    assert.match(r.stderr, /try: /);
    assert.equal(r.stdout, '');
  });
});
