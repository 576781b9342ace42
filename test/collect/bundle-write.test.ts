import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { bundleFiles } from '../../src/collect/bundle/bundle-files.ts';
import type { BundleInput } from '../../src/collect/bundle/types.ts';
import { writeBundle } from '../../src/collect/bundle/write.ts';
import type { K8sPod } from '../../src/core/cluster-types.ts';
import { NetdoctorError } from '../../src/core/errors.ts';
import { bundleInput } from './bundle-input.ts';
import { PLANTED_SECRETS, plantedSecretObject } from './small-cluster.ts';

/** Node files need no namespace here: these tests are about names and cluster objects. */
function input(): BundleInput {
  return bundleInput({ 'node-1': {}, 'node-2': {} });
}

describe('bundleFiles', () => {
  it('drops objects of kind Secret from every list', () => {
    const i = input();
    i.cluster.pods.push(plantedSecretObject() as K8sPod);
    const { files } = bundleFiles(i);
    for (const f of files) {
      assert.ok(!f.text.includes('db-credentials'), `Secret in ${f.path}`);
      assert.ok(!f.text.includes(PLANTED_SECRETS[3]), `Secret data in ${f.path}`);
    }
    const pods = JSON.parse(files.find((f) => f.path === 'cluster/pods.json')!.text);
    assert.equal(pods.items.length, 7);
  });

  it('counts what it redacted', () => {
    const { redactions } = bundleFiles(input());
    // two env values, the applied env value, the bearer token in the kube-proxy log
    assert.equal(redactions, 4);
  });

  it('refuses names that would escape the bundle directory', () => {
    const cases: ((i: BundleInput) => void)[] = [
      (i) => {
        i.nodes['../etc'] = { files: {}, cniFiles: [] };
      },
      (i) => {
        i.nodes['node-1']!.cniFiles.push({ file: '../../10-evil.conflist', text: '{}' });
      },
      (i) => {
        i.reports = { '../report.json': '{}' };
      },
      (i) => {
        i.reports = { 'manifest.json': '{}' };
      },
      (i) => {
        i.cluster.logs['kube-system/../../x'] = 'log';
      },
    ];
    for (const edit of cases) {
      const i = input();
      edit(i);
      assert.throws(
        () => bundleFiles(i),
        (err: unknown) => err instanceof NetdoctorError && err.code === 'internal',
      );
    }
  });
});

describe('writeBundle', () => {
  let work: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'ndt-bundle-write-'));
  });
  after(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('leaves no manifest when a file cannot be written', async () => {
    const dir = join(work, 'crash');
    const i = input();
    // `cluster` is also the directory of the cluster lists, so this write fails part-way.
    i.reports = { cluster: 'not a directory' };
    await assert.rejects(writeBundle(dir, i));
    const top = await readdir(dir);
    assert.ok(top.includes('cluster'));
    assert.ok(!top.includes('manifest.json'), top.join(','));
  });

  it('removes the manifest of an earlier bundle before writing into its directory', async () => {
    const dir = join(work, 'reuse');
    await writeBundle(dir, input());
    const i = input();
    i.reports = { cluster: 'not a directory' };
    await assert.rejects(writeBundle(dir, i));
    assert.ok(!(await readdir(dir)).includes('manifest.json'));
  });

  it('writes a bundle with no nodes, no probes and no version', async () => {
    const dir = join(work, 'bare');
    const i = input();
    i.nodes = {};
    delete i.probes;
    delete i.cluster.serverVersion;
    const m = await writeBundle(dir, i);
    assert.deepEqual(m.nodes, []);
    const paths = m.files.map((f) => f.path);
    assert.ok(!paths.includes('cluster/version.json'));
    assert.ok(!paths.includes('probes/results.json'));
    assert.ok(paths.includes('components/dns-test-results.txt'));
  });
});
