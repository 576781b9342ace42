import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { create } from 'tar';
import { packBundle } from '../../src/collect/bundle/archive.ts';
import { readBundle } from '../../src/collect/bundle/read.ts';
import { writeBundle } from '../../src/collect/bundle/write.ts';
import { NetdoctorError } from '../../src/core/errors.ts';
import { listedFiles } from '../support/listed-files.ts';
import { bundleInput } from './bundle-input.ts';
import { buildNode, bundleNetnsName, captureNodeFiles, deleteNetns } from './node-capture.ts';

/** Asserts `p` rejects with a NetdoctorError of `code` whose message contains every `needle`. */
async function rejectsWith(p: Promise<unknown>, code: string, ...needles: string[]): Promise<NetdoctorError> {
  let caught: unknown;
  try {
    await p;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof NetdoctorError, `expected a NetdoctorError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  for (const n of needles) assert.ok(caught.message.includes(n), `"${caught.message}" does not mention ${n}`);
  return caught;
}

describe('reading broken, partial and foreign bundles', () => {
  const ns = bundleNetnsName('err');
  let work: string;
  let good: string;
  /** A fresh copy of the good bundle to break. */
  let copyNo = 0;
  const copy = async (): Promise<string> => {
    const d = join(work, `copy-${++copyNo}`);
    await cp(good, d, { recursive: true });
    return d;
  };
  const editManifest = async (dir: string, edit: (m: Record<string, unknown>) => void): Promise<void> => {
    const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
    edit(m);
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(m));
  };

  before(async () => {
    buildNode(ns, 1);
    work = await mkdtemp(join(tmpdir(), 'ndt-bundle-err-'));
    good = join(work, 'netdoctor-20260312-100605');
    await writeBundle(good, bundleInput({ 'node-1': captureNodeFiles(ns) }));
  });
  after(async () => {
    deleteNetns(ns);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('a missing path is bundle-not-found, naming it', async () => {
    const missing = join(work, 'nope.tar.gz');
    await rejectsWith(readBundle(missing), 'bundle-not-found', missing);
  });

  it('a directory without manifest.json is bundle-malformed, naming the expected file', async () => {
    const dir = join(work, 'empty');
    await mkdir(dir);
    const err = await rejectsWith(readBundle(dir), 'bundle-malformed', join(dir, 'manifest.json'));
    assert.ok(err.suggestions.some((s) => s.includes('netdoctor diagnose')));
  });

  it('a manifest that is not JSON is bundle-malformed with the parse message and the file', async () => {
    const dir = await copy();
    await writeFile(join(dir, 'manifest.json'), '{"format": "netdoctor-bundle", "version": 1,');
    const err = await rejectsWith(
      readBundle(dir),
      'bundle-malformed',
      join(dir, 'manifest.json'),
      'not valid JSON',
    );
    assert.match(err.message, /JSON/);
  });

  it('another format, or a newer version, is bundle-foreign', async () => {
    const dir = await copy();
    await editManifest(dir, (m) => {
      m['format'] = 'sonobuoy-results';
    });
    await rejectsWith(readBundle(dir), 'bundle-foreign', join(dir, 'manifest.json'), 'sonobuoy-results');
    await editManifest(dir, (m) => {
      m['format'] = 'netdoctor-bundle';
      m['version'] = 2;
    });
    const err = await rejectsWith(readBundle(dir), 'bundle-foreign', 'version 2', 'newer');
    assert.ok(err.suggestions.some((s) => /upgrade/i.test(s)));
  });

  it('a truncated .tar.gz is bundle-malformed naming the archive, and leaves no temporary files', async () => {
    const archive = await packBundle(good, await listedFiles(good));
    const cut = join(work, 'cut.tar.gz');
    await cp(archive, cut);
    const { size } = await import('node:fs/promises').then((fs) => fs.stat(cut));
    await truncate(cut, Math.floor(size / 2));
    const privateTmp = join(work, 'tmp-cut');
    await mkdir(privateTmp);
    const saved = process.env['TMPDIR'];
    process.env['TMPDIR'] = privateTmp;
    try {
      await rejectsWith(readBundle(cut), 'bundle-malformed', cut);
      assert.deepEqual(await readdir(privateTmp), []);
    } finally {
      if (saved === undefined) delete process.env['TMPDIR'];
      else process.env['TMPDIR'] = saved;
    }
  });

  it('a file that is not an archive at all is bundle-malformed naming it', async () => {
    const junk = join(work, 'junk.tgz');
    await writeFile(junk, 'this is not gzip data, just a text file someone renamed\n'.repeat(20));
    await rejectsWith(readBundle(junk), 'bundle-malformed', junk);
  });

  it('an archive without a manifest is bundle-malformed naming the archive', async () => {
    const dir = join(work, 'no-manifest');
    await mkdir(join(dir, 'cluster'), { recursive: true });
    await writeFile(join(dir, 'cluster', 'pods.json'), '{"items":[]}');
    const archive = join(work, 'no-manifest.tar.gz');
    await create({ gzip: true, file: archive, cwd: work }, ['no-manifest']);
    await rejectsWith(readBundle(archive), 'bundle-malformed', archive, 'manifest.json');
  });

  it('a malformed cluster JSON becomes a gap naming the file; the rest is still read', async () => {
    const dir = await copy();
    const pods = await readFile(join(dir, 'cluster/pods.json'), 'utf8');
    await writeFile(join(dir, 'cluster/pods.json'), pods.slice(0, Math.floor(pods.length / 2)));
    const snap = await readBundle(dir);
    const gap = snap.gaps.find((g) => g.collector === 'cluster/pods.json');
    assert.equal(gap?.reason, 'parse-error');
    assert.match(gap?.detail ?? '', /JSON/);
    assert.deepEqual(snap.cluster.pods, []);
    assert.equal(snap.cluster.services.length, 1);
    assert.equal(snap.cluster.nodes.length, 2);
    assert.ok(snap.nodes['node-1']?.routes?.length);
    assert.ok(
      snap.gaps.some((g) => g.collector === 'nodes/node-2/vxlan-capture'),
      'manifest gaps are kept',
    );
  });

  it('a cluster file that is JSON but not a List is a parse-error gap', async () => {
    const dir = await copy();
    await writeFile(join(dir, 'cluster/services.json'), '{"kind":"Service","metadata":{"name":"x"}}');
    const snap = await readBundle(dir);
    assert.deepEqual(
      snap.gaps.filter((g) => g.collector === 'cluster/services.json').map((g) => g.reason),
      ['parse-error'],
    );
    assert.equal(snap.cluster.pods.length, 7);
  });

  it('a node file its parser rejects becomes a parse-error gap for that node only', async () => {
    const dir = await copy();
    await writeFile(join(dir, 'nodes/node-1/ip-route.json'), '[{"dst": "10.244.1.0/24", "dev": ');
    const snap = await readBundle(dir);
    const gap = snap.gaps.find((g) => g.collector === 'nodes/node-1/ip-route.json');
    assert.equal(gap?.reason, 'parse-error');
    assert.equal(gap?.node, 'node-1');
    assert.ok(gap?.detail);
    const dp = snap.nodes['node-1']!;
    assert.equal(dp.routes, undefined);
    assert.ok(dp.links?.some((l) => l.ifname === 'cni0'));
    assert.equal(dp.sysctls?.['net.ipv4.ip_forward'], '0');
  });

  it('a file listed in the manifest but absent is a not-found gap', async () => {
    const dir = await copy();
    await rm(join(dir, 'nodes/node-1/bridge-fdb.json'));
    await rm(join(dir, 'cluster/events.json'));
    const snap = await readBundle(dir);
    assert.deepEqual(
      snap.gaps.filter((g) => g.reason === 'not-found').map((g) => [g.collector, g.node]),
      [
        ['cluster/events.json', undefined],
        ['nodes/node-1/bridge-fdb.json', 'node-1'],
      ],
    );
    assert.equal(snap.nodes['node-1']!.fdb, undefined);
    assert.deepEqual(snap.cluster.events, []);
  });

  it('a manifest without a file list falls back to the directory, and ignores unsafe paths', async () => {
    const full = await readBundle(good);
    const dir = await copy();
    await editManifest(dir, (m) => {
      delete m['files'];
    });
    assert.deepEqual(await readBundle(dir), full);
    await editManifest(dir, (m) => {
      m['files'] = [
        { path: '../../etc/hostname', bytes: 1 },
        { path: 'cluster/pods.json', bytes: 1 },
      ];
    });
    const snap = await readBundle(dir);
    assert.equal(snap.cluster.pods.length, 7);
    assert.ok(
      snap.gaps.some((g) => g.collector === 'manifest.json' && g.detail?.includes('../../etc/hostname')),
    );
  });
});
