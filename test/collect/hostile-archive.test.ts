/**
 * Archives made by someone else: bombs by member count and by expansion, members the manifest
 * does not list, links and devices, paths that climb out, and an interrupt during extraction.
 * The archives are real .tar.gz files, written member by member by test/support/tar-writer.ts.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { packBundle } from '../../src/collect/bundle/archive.ts';
import { extractBundleArchive } from '../../src/collect/bundle/archive-read.ts';
import { DEFAULT_LIMITS } from '../../src/collect/bundle/limits.ts';
import { readBundle } from '../../src/collect/bundle/read.ts';
import { NetdoctorError } from '../../src/core/errors.ts';
import { listedFiles } from '../support/listed-files.ts';
import { runCli, startCli } from '../support/run-cli.ts';
import { type TarMember, writeTarGz } from '../support/tar-writer.ts';

const TOP = 'netdoctor-20260101-000000';

function manifest(files: string[]): string {
  return JSON.stringify({
    format: 'netdoctor-bundle',
    version: 1,
    createdAt: '2026-01-01T00:00:00Z',
    netdoctorVersion: '0.1.0',
    source: 'live',
    nodes: [],
    files: files.map((path) => ({ path, bytes: 16 })),
    gaps: [],
  });
}

const NODES = '{"apiVersion":"v1","kind":"List","items":[]}';

describe('hostile archives', () => {
  let work: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'ndt-hostile-tgz-'));
  });
  after(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('200,000 tiny members stop at the entry limit within seconds, naming it, leaving nothing', async () => {
    const file = join(work, 'many.tar.gz');
    await writeTarGz(
      file,
      (function* (): Generator<TarMember> {
        yield { type: 'file', path: `${TOP}/manifest.json`, data: manifest(['cluster/nodes.json']) };
        yield { type: 'file', path: `${TOP}/cluster/nodes.json`, data: NODES };
        for (let i = 0; i < 200_000; i++)
          yield { type: 'file', path: `${TOP}/logs/ns/p${i}/c.log`, data: 'x\n' };
      })(),
    );
    const r = runCli(['analyze', file, '-o', 'json'], { timeoutMs: 60_000 });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /limit of 100000 entries \(--max-bundle-entries\)/);
    assert.ok(r.ms < 30_000, `took ${Math.round(r.ms)} ms`);
    assert.deepEqual(await readdir(r.tmp), []);
  });

  it('a member expanding 0.4 MB to 256 MiB stops at the expansion limit, naming it, leaving nothing', async () => {
    const file = join(work, 'expand.tar.gz');
    const size = await writeTarGz(file, [
      { type: 'file', path: `${TOP}/manifest.json`, data: manifest(['cluster/nodes.json']) },
      { type: 'file', path: `${TOP}/cluster/nodes.json`, data: NODES },
      { type: 'file', path: `${TOP}/filler.bin`, zeros: 256 * 1024 ** 2, noise: 400 },
    ]);
    assert.ok(size < 2 * 1024 ** 2, `${size} bytes compressed`);
    const r = runCli(['analyze', file, '-o', 'json'], { timeoutMs: 60_000 });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /limit of 200 times expansion \(--max-bundle-expansion\)/);
    assert.deepEqual(await readdir(r.tmp), []);
    // Raised limits let the same archive through: the listed file is read, the filler never written.
    const ok = runCli(['analyze', file, '-o', 'json', '--max-bundle-expansion', '2000'], {
      timeoutMs: 60_000,
    });
    // Read and analyzed: a verdict's exit code (a one-file bundle is inconclusive), not 2.
    assert.ok(ok.status === 0 || ok.status === 1 || ok.status === 5, `exit ${ok.status}: ${ok.stderr}`);
  });

  it('a listed file over the per-file limit stops with exit 2 naming the flag', async () => {
    const file = join(work, 'big-file.tar.gz');
    await writeTarGz(file, [
      { type: 'file', path: `${TOP}/manifest.json`, data: manifest(['cluster/events.json']) },
      { type: 'file', path: `${TOP}/cluster/events.json`, zeros: 3 * 1024 ** 2 },
    ]);
    const r = runCli(['analyze', file, '--max-bundle-file-bytes', '1MiB'], { timeoutMs: 60_000 });
    assert.equal(r.status, 2, r.stderr);
    assert.match(
      r.stderr,
      /limit of 1 MiB bytes in one file \(--max-bundle-file-bytes\).*cluster\/events\.json/,
    );
  });

  it('a manifest over the per-file limit stops with exit 2, without waiting on it', async () => {
    const file = join(work, 'big-manifest.tar.gz');
    await writeTarGz(file, [{ type: 'file', path: `${TOP}/manifest.json`, zeros: 3 * 1024 ** 2 }]);
    const r = runCli(['analyze', file, '--max-bundle-file-bytes', '1MiB'], { timeoutMs: 60_000 });
    assert.equal(r.signal, null, 'analyze hung and was killed');
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /--max-bundle-file-bytes.*manifest\.json is 3145728 bytes/);
    assert.deepEqual(await readdir(r.tmp), []);
  });

  it('only what the manifest lists is extracted; links, devices and climbing paths never are', async () => {
    const file = join(work, 'mixed.tar.gz');
    await writeTarGz(file, [
      {
        type: 'file',
        path: `${TOP}/manifest.json`,
        data: manifest(['cluster/nodes.json', 'cluster/pods.json', 'cluster/events.json']),
      },
      { type: 'file', path: `${TOP}/cluster/nodes.json`, data: NODES },
      { type: 'symlink', path: `${TOP}/cluster/pods.json`, target: '/etc/passwd' },
      { type: 'chardev', path: `${TOP}/cluster/events.json` },
      { type: 'file', path: `${TOP}/unlisted/private.key`, data: 'not for you' },
      { type: 'file', path: `${TOP}/../escaped.txt`, data: 'escaped' },
      { type: 'file', path: '/tmp/absolute-escape.txt', data: 'escaped' },
      { type: 'file', path: `${TOP}/cluster/nodes.json`, data: '{"items":[{"replaced":true}]}' },
    ]);
    const x = await extractBundleArchive(file, DEFAULT_LIMITS);
    try {
      const found = (await readdir(x.dir, { recursive: true, withFileTypes: true }))
        .filter((e) => !e.isDirectory())
        .map((e) => join(e.parentPath, e.name).slice(x.dir.length + 1))
        .sort();
      assert.deepEqual(found, ['cluster/nodes.json', 'manifest.json']);
      assert.equal(await readFile(join(x.dir, 'cluster/nodes.json'), 'utf8'), NODES);
      assert.match(x.refused.get('cluster/pods.json') ?? '', /SymbolicLink member/);
      assert.match(x.refused.get('cluster/events.json') ?? '', /CharacterDevice member/);
    } finally {
      await x.close();
    }
    const snap = await readBundle(file);
    const gap = snap.gaps.find((g) => g.collector === 'cluster/pods.json');
    assert.match(gap?.detail ?? '', /only regular files are read/);
  });

  it('an archive without a manifest is bundle-malformed', async () => {
    const file = join(work, 'no-manifest.tar.gz');
    await writeTarGz(file, [{ type: 'file', path: `${TOP}/cluster/nodes.json`, data: NODES }]);
    await assert.rejects(
      readBundle(file),
      (e: unknown) => e instanceof NetdoctorError && e.code === 'bundle-malformed',
    );
  });

  it('SIGINT during extraction removes the temporary directory and exits 130', async () => {
    const file = join(work, 'slow.tar.gz');
    const paths: string[] = [];
    for (let i = 0; i < 30_000; i++) paths.push(`logs/ns/p${i}/c.log`);
    await writeTarGz(
      file,
      (function* (): Generator<TarMember> {
        yield { type: 'file', path: `${TOP}/manifest.json`, data: manifest(paths) };
        for (const p of paths) yield { type: 'file', path: `${TOP}/${p}`, data: 'line\n' };
      })(),
    );
    const run = startCli(['analyze', file, '-o', 'json']);
    // Wait until extraction has started writing, then interrupt.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const dirs = await readdir(run.tmp);
      if (dirs.length > 0 && (await readdir(join(run.tmp, dirs[0] as string))).length > 0) break;
      assert.ok(Date.now() < deadline, 'extraction never started');
      await new Promise((r) => setTimeout(r, 20));
    }
    run.child.kill('SIGINT');
    const [code] = (await once(run.child, 'exit')) as [number | null];
    assert.equal(code, 130, run.stderr());
    assert.deepEqual(await readdir(run.tmp), []);
  });

  it('a real bundle archive cut short or with flipped bytes is exit 2 or a report, never a crash or a leftover', async () => {
    const dir = join(work, 'netdoctor-20260312-100605');
    await cp('test/fixtures/bundles/two-node-flannel', dir, { recursive: true });
    const packed = await readFile(await packBundle(dir, await listedFiles(dir)));
    const file = join(work, 'damaged.tar.gz');
    const privateTmp = await mkdtemp(join(tmpdir(), 'ndt-damaged-tmp-'));
    const saved = process.env['TMPDIR'];
    process.env['TMPDIR'] = privateTmp;
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.nat({ max: packed.length - 1 }),
          fc.array(fc.tuple(fc.nat({ max: packed.length - 1 }), fc.integer({ min: 1, max: 255 })), {
            maxLength: 4,
          }),
          async (cut, flips) => {
            const bytes = Buffer.from(packed.subarray(0, Math.max(cut, packed.length / 2)));
            for (const [at, x] of flips) if (at < bytes.length) bytes[at] = (bytes[at] as number) ^ x;
            await writeFile(file, bytes);
            try {
              await readBundle(file);
            } catch (err) {
              assert.ok(err instanceof NetdoctorError && err.exitCode === 2, String(err));
            }
            assert.deepEqual(await readdir(privateTmp), []);
          },
        ),
        { numRuns: 60 },
      );
    } finally {
      if (saved === undefined) delete process.env['TMPDIR'];
      else process.env['TMPDIR'] = saved;
      await rm(privateTmp, { recursive: true, force: true });
    }
  });
});
