/**
 * `--out` must never put someone's own files into the shareable archive, nor replace what it
 * did not write, and must say so before collecting anything. The cluster in these runs is a
 * closed loopback port: a refusal (exit 2) shows the check ran first, since a run that got as
 * far as the cluster would go on to write a bundle of gaps.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { list } from 'tar';
import { packBundle } from '../../src/collect/bundle/archive.ts';
import { checkOutDir } from '../../src/collect/bundle/out-dir.ts';
import { writeBundle } from '../../src/collect/bundle/write.ts';
import { emptyClusterState } from '../../src/core/cluster-types.ts';
import { listedFiles } from '../support/listed-files.ts';
import { runCli } from '../support/run-cli.ts';

const KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
- name: closed
  cluster:
    server: https://127.0.0.1:1
    insecure-skip-tls-verify: true
users:
- name: u
  user:
    token: not-a-real-token
contexts:
- name: c
  context: { cluster: closed, user: u }
current-context: c
`;

describe('diagnose --out', () => {
  let work: string;
  let kubeconfig: string;
  const diagnose = (out: string) =>
    runCli(['diagnose', '--kubeconfig', kubeconfig, '--no-probes', '--node-access', 'none', '--out', out], {
      timeoutMs: 60_000,
    });

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'ndt-out-'));
    kubeconfig = join(work, 'kubeconfig');
    await writeFile(kubeconfig, KUBECONFIG);
  });
  after(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('refuses an empty --out, which would have packed the current directory', () => {
    const r = diagnose('');
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /--out is empty/);
  });

  it('refuses an existing file, before collecting, and leaves it alone', async () => {
    const file = join(work, 'notes.txt');
    await writeFile(file, 'mine\n');
    const r = diagnose(file);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /exists and is a regular file, not a directory/);
    assert.equal(await readFile(file, 'utf8'), 'mine\n');
  });

  it('refuses a directory of the user’s own files, before collecting, and changes nothing', async () => {
    const dir = join(work, 'home');
    await mkdir(dir);
    await writeFile(join(dir, 'id_rsa'), '-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbg==\n');
    await writeFile(join(dir, '.env'), 'DB_PASSWORD=hunter2\n');
    const r = diagnose(dir);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /not a netdoctor bundle/);
    assert.deepEqual((await readdir(dir)).sort(), ['.env', 'id_rsa']);
    await assert.rejects(readFile(`${dir}.tar.gz`));
  });

  it('refuses to replace an existing <dir>.tar.gz that netdoctor did not write', async () => {
    const dir = join(work, 'fresh');
    await writeFile(`${dir}.tar.gz`, 'someone else’s archive');
    const r = diagnose(dir);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /fresh\.tar\.gz: it exists and is not a netdoctor bundle archive/);
    assert.equal(await readFile(`${dir}.tar.gz`, 'utf8'), 'someone else’s archive');
  });

  it('with a new directory, goes on to collect and writes the bundle and its archive', async () => {
    const dir = join(work, 'new-bundle');
    const r = diagnose(dir);
    assert.notEqual(r.status, 2, r.stderr);
    const members: string[] = [];
    await list({ file: `${dir}.tar.gz`, onReadEntry: (e) => members.push(e.path) });
    assert.equal(members[0], 'new-bundle/manifest.json');
    assert.deepEqual(members.slice(1).sort(), (await listedFiles(dir)).map((f) => `new-bundle/${f}`).sort());
  });
});

describe('packing a bundle', () => {
  let work: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'ndt-pack-'));
  });
  after(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('packs only the files it wrote, manifest first, and may then replace its own archive', async () => {
    const dir = join(work, 'netdoctor-20260101-000000');
    await writeBundle(dir, {
      meta: { createdAt: '2026-01-01T00:00:00Z', source: 'synthetic', netdoctorVersion: '0' },
      cluster: emptyClusterState(),
      nodes: {},
      gaps: [],
    });
    await writeFile(join(dir, 'stray-private.key'), 'not netdoctor’s');
    const files = await listedFiles(dir);
    const archive = await packBundle(dir, files);
    const members: string[] = [];
    await list({ file: archive, onReadEntry: (e) => members.push(e.path) });
    assert.equal(members[0], 'netdoctor-20260101-000000/manifest.json');
    assert.deepEqual(members.slice(1).sort(), files.map((f) => `netdoctor-20260101-000000/${f}`).sort());
    assert.ok(!members.some((m) => m.includes('stray')));
    // An earlier netdoctor bundle and its archive may be written again.
    await rm(join(dir, 'stray-private.key'));
    assert.deepEqual(await checkOutDir(dir), { kind: 'earlier-bundle' });
  });
});
