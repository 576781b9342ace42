/**
 * `netdoctor trace` end to end: the captured fixtures written as a real bundle (through the
 * bundle writer), then the CLI run as a child process on it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BundleNodeInput } from '../../src/collect/bundle/types.ts';
import { writeBundle } from '../../src/collect/bundle/write.ts';
import type { TraceResult } from '../../src/datapath/trace-types.ts';
import { FIXTURES, fixtureCluster, rawNodeFiles, readTopology } from './fixture-snapshot.ts';

const MAIN = join(import.meta.dirname, '..', '..', 'src', 'cli', 'main.ts');

async function bundleFrom(dir: string, overrides: Record<string, string> = {}): Promise<void> {
  const nodes: Record<string, BundleNodeInput> = {};
  for (const n of readTopology().nodes)
    nodes[n.name] = rawNodeFiles(join(FIXTURES, overrides[n.name] ?? 'flannel-3node', n.name));
  await writeBundle(dir, {
    meta: { createdAt: '2026-01-01T00:00:00Z', source: 'synthetic', netdoctorVersion: 'test' },
    cluster: fixtureCluster(),
    nodes,
    gaps: [],
  });
}

function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('netdoctor trace', () => {
  let root = '';
  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'ndt-dp-trace-'));
    await bundleFrom(join(root, 'healthy'));
    await bundleFrom(join(root, 'stalled'), { 'worker-2': 'flannel-3node-routes-flushed' });
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('prints a delivered path and exits 0', () => {
    const r = cli(
      'trace',
      join(root, 'healthy'),
      '--from',
      'default/client-a',
      '--to',
      'svc/kube-system/kube-dns',
      '--port',
      '53/udp',
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /service-dnat .*DNAT to 10\.244\.2\.2:53/);
    assert.match(r.stdout, /^delivered: /m);
  });

  it('prints JSON and exits 1 when the path breaks', () => {
    const r = cli(
      'trace',
      join(root, 'stalled'),
      '--from',
      'kube-system/coredns-a',
      '--to',
      'kube-system/coredns-b',
      '--port',
      '53/udp',
      '-o',
      'json',
    );
    assert.equal(r.code, 1, r.stderr);
    const result = JSON.parse(r.stdout) as TraceResult;
    assert.equal(result.status, 'broken');
    assert.equal(result.hops[result.stoppedAt!]?.kind, 'node-route');
    assert.match(result.reason ?? '', /^worker-2 has no route to 10\.244\.3\.0\/24/);
  });

  it('reports an unknown pod as a usage error (exit 2)', () => {
    const r = cli('trace', join(root, 'healthy'), '--from', 'default/ghost', '--to', 'default/web-1');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no pod default\/ghost in the bundle/);
  });
});
