import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import { registerPolicy, type SnapshotSource } from '../../src/cli/commands/policy.ts';
import { EXIT, NetdoctorError } from '../../src/core/errors.ts';
import type { Snapshot } from '../../src/core/model.ts';
import { parseDestination, parsePortSpec } from '../../src/policy/parse-flow-args.ts';
import { reachabilityMatrix } from '../../src/policy/reachability-matrix.ts';
import { renderMatrix } from '../../src/policy/render-matrix.ts';
import { policy } from './fixture.ts';
import { world, worldIndex } from './world.ts';

describe('reachability matrix', () => {
  const policies = [
    policy('prod', 'deny', { podSelector: {}, policyTypes: ['Ingress'] }),
    policy('prod', 'api-from-web', {
      podSelector: { matchLabels: { app: 'api' } },
      ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }] }],
    }),
  ];
  it('groups pods into workloads and gives one cell per pair', () => {
    const m = reachabilityMatrix(worldIndex(policies), { namespace: 'prod', port: 9000 });
    assert.deepEqual(
      m.workloads.map((w) => w.id),
      ['prod/api', 'prod/db', 'prod/web'],
    );
    assert.equal(m.cells.length, 9);
    const cell = (from: string, to: string) => m.cells.find((c) => c.from === from && c.to === to);
    assert.equal(cell('prod/web', 'prod/api')?.state, 'allowed');
    assert.equal(cell('prod/db', 'prod/api')?.state, 'ingress-denied');
    assert.deepEqual(cell('prod/db', 'prod/web')?.deniedBy, [{ namespace: 'prod', name: 'deny' }]);
  });
  it("uses each destination's declared port without --port", () => {
    const m = reachabilityMatrix(worldIndex([]), { namespace: 'dev' });
    assert.equal(m.cells.find((c) => c.to === 'dev/web')?.port, 8080);
    assert.equal(m.cells.find((c) => c.to === 'dev/client')?.state, 'no-port');
  });
  it('renders as text', () => {
    const text = renderMatrix(reachabilityMatrix(worldIndex(policies), { namespace: 'prod', port: 9000 }));
    assert.match(text, /Reachability at 9000\/TCP/);
    assert.match(text, /2\. prod\/db +I I I\n/);
    assert.match(text, /3\. prod\/web +\. I I\n/);
  });
});

describe('argument parsing', () => {
  it('reads endpoints and ports', () => {
    assert.deepEqual(parseDestination('svc/kube-system/kube-dns'), {
      kind: 'service',
      namespace: 'kube-system',
      name: 'kube-dns',
    });
    assert.deepEqual(parseDestination('10.96.0.10'), { kind: 'ip', ip: '10.96.0.10' });
    assert.deepEqual(parseDestination('prod/web'), { kind: 'pod', namespace: 'prod', name: 'web' });
    assert.deepEqual(parsePortSpec('53/udp'), { port: 53, protocol: 'UDP' });
    assert.deepEqual(parsePortSpec('443'), { port: 443, protocol: 'TCP' });
    assert.throws(() => parsePortSpec('70000'), NetdoctorError);
    assert.throws(() => parsePortSpec('53/icmp'), NetdoctorError);
    assert.throws(() => parseDestination('just-a-name'), NetdoctorError);
  });
});

describe('netdoctor policy (command)', () => {
  async function runCli(
    args: string[],
    provider: (source: SnapshotSource) => Promise<Snapshot> = async () =>
      world([policy('prod', 'deny', { podSelector: {}, policyTypes: ['Ingress'] })]),
  ) {
    const program = new Command('netdoctor').exitOverride();
    registerPolicy(program, provider);
    let out = '';
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((s: string) => {
      out += s;
      return true;
    }) as typeof process.stdout.write;
    const before = process.exitCode;
    try {
      await program.parseAsync(['node', 'netdoctor', 'policy', ...args]);
      return { out, code: process.exitCode };
    } finally {
      process.stdout.write = write;
      process.exitCode = before;
    }
  }
  it('explain prints the verdict and exits 1 when denied', async () => {
    const r = await runCli([
      'explain',
      '--from',
      'prod/web',
      '--to',
      'prod/api',
      '--port',
      '9000',
      '--bundle',
      'x',
    ]);
    assert.match(r.out, /DENIED/);
    assert.match(r.out, /isolated by prod\/deny; no rule allows/);
    assert.equal(r.code, 1);
  });
  it('explain -o json', async () => {
    const r = await runCli([
      'explain',
      '--from',
      'prod/web',
      '--to',
      'svc/kube-system/kube-dns',
      '--port',
      '53/udp',
      '--bundle',
      'x',
      '-o',
      'json',
    ]);
    const e = JSON.parse(r.out);
    assert.equal(e.kind, 'service');
    assert.equal(e.verdict, 'allowed');
    assert.equal(r.code, 0);
  });
  it('matrix and lint run', async () => {
    assert.match((await runCli(['matrix', '-n', 'prod', '--bundle', 'x'])).out, /legend/);
    const lint = await runCli(['lint', '--bundle', 'x']);
    assert.match(lint.out, /namespace-unreachable/);
    assert.equal(lint.code, 1);
  });
  it('passes --bundle, --kubeconfig and --context to the snapshot provider', async () => {
    const seen: SnapshotSource[] = [];
    await runCli(['lint', '--kubeconfig', '/k', '--context', 'c'], async (source) => {
      seen.push(source);
      return world([]);
    });
    await runCli(['matrix', '--bundle', 'b'], async (source) => {
      seen.push(source);
      return world([]);
    });
    assert.deepEqual(seen, [{ kubeconfig: '/k', context: 'c' }, { bundle: 'b' }]);
  });
  it('without --bundle: reads the live cluster, and a kubeconfig that cannot be read is a cluster error', async () => {
    const program = new Command('netdoctor').exitOverride();
    registerPolicy(program);
    await assert.rejects(
      program.parseAsync(['node', 'netdoctor', 'policy', 'lint', '--kubeconfig', '/nonexistent/kubeconfig']),
      (err: unknown) =>
        err instanceof NetdoctorError && err.code === 'kubeconfig-invalid' && err.exitCode === EXIT.cluster,
    );
  });
  it('without --bundle: an API server that does not answer is cluster-unreachable (exit 3)', async () => {
    // A port nothing listens on: bind one, note it, close it.
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    await new Promise((r) => server.close(r));
    const dir = mkdtempSync(join(tmpdir(), 'ndt-policy-live-'));
    try {
      const kubeconfig = join(dir, 'kubeconfig');
      writeFileSync(
        kubeconfig,
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Config',
          clusters: [{ name: 'gone', cluster: { server: `https://127.0.0.1:${port}` } }],
          users: [{ name: 'u', user: { token: 'x' } }],
          contexts: [{ name: 'gone-ctx', context: { cluster: 'gone', user: 'u' } }],
          'current-context': 'gone-ctx',
        }),
      );
      const program = new Command('netdoctor').exitOverride();
      registerPolicy(program);
      await assert.rejects(
        program.parseAsync([
          'node',
          'netdoctor',
          'policy',
          'explain',
          '--from',
          'a/b',
          '--to',
          'c/d',
          '--port',
          '80',
          '--kubeconfig',
          kubeconfig,
        ]),
        (err: unknown) =>
          err instanceof NetdoctorError &&
          err.code === 'cluster-unreachable' &&
          err.exitCode === EXIT.cluster &&
          err.message.includes(`127.0.0.1:${port}`),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
