import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { list } from 'tar';
import { packBundle } from '../../src/collect/bundle/archive.ts';
import {
  BUNDLE_FORMAT,
  BUNDLE_VERSION,
  type BundleManifest,
  type NodeFileKey,
} from '../../src/collect/bundle/layout.ts';
import { readBundle, readBundleDetailed } from '../../src/collect/bundle/read.ts';
import type { BundleInput } from '../../src/collect/bundle/types.ts';
import { bundleDirName, writeBundle } from '../../src/collect/bundle/write.ts';
import { redactValue } from '../../src/collect/redact/redact.ts';
import type { Snapshot } from '../../src/core/model.ts';
import { NODE_FILE_PARSERS } from '../../src/datapath/parsers/index.ts';
import { listedFiles } from '../support/listed-files.ts';
import { bundleInput, PROBES } from './bundle-input.ts';
import { buildNode, bundleNetnsName, captureNodeFiles, deleteNetns } from './node-capture.ts';
import { PLANTED_SECRETS } from './small-cluster.ts';

/** Every file under `dir`, bundle-relative. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();
}

describe('bundle round trip', () => {
  const namespaces = [bundleNetnsName('rt1'), bundleNetnsName('rt2')];
  const captured: Record<string, Partial<Record<NodeFileKey, string>>> = {};
  let work: string;
  let dir: string;
  let input: BundleInput;
  let manifest: BundleManifest;
  let snapshot: Snapshot;

  before(async () => {
    buildNode(namespaces[0]!, 1);
    buildNode(namespaces[1]!, 2);
    captured['node-1'] = captureNodeFiles(namespaces[0]!);
    captured['node-2'] = captureNodeFiles(namespaces[1]!);
    work = await mkdtemp(join(tmpdir(), 'ndt-bundle-test-'));
    dir = join(work, bundleDirName(new Date('2026-03-12T10:06:05Z')));
    input = bundleInput(captured);
    manifest = await writeBundle(dir, input);
    snapshot = await readBundle(dir);
  });
  after(async () => {
    for (const ns of namespaces) deleteNetns(ns);
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('names the directory after the UTC time', () => {
    assert.equal(basename(dir), 'netdoctor-20260312-100605');
    assert.equal(bundleDirName(new Date('2026-12-31T23:59:09.999+02:00')), 'netdoctor-20261231-215909');
  });

  it('writes a manifest that lists exactly the files on disk, with their sizes', async () => {
    assert.equal(manifest.format, BUNDLE_FORMAT);
    assert.equal(manifest.version, BUNDLE_VERSION);
    assert.deepEqual(manifest.nodes, ['node-1', 'node-2']);
    const onDisk = (await filesUnder(dir)).filter((p) => p !== 'manifest.json');
    assert.deepEqual(
      manifest.files.map((f) => f.path),
      onDisk,
    );
    for (const f of manifest.files) assert.equal((await stat(join(dir, f.path))).size, f.bytes, f.path);
    const written = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
    assert.deepEqual(written, manifest);
    for (const p of [
      'cluster/pods.json',
      'cluster/version.json',
      'logs/kube-system/kube-proxy-7xk2p/kube-proxy.previous.log',
      'nodes/node-1/ip-route.json',
      'nodes/node-2/iptables-nft.txt',
      'nodes/node-1/cni-net.d/10-flannel.conflist',
      'probes/results.json',
      'components/coredns.txt',
      'components/kube-system-events.txt',
      'report.json',
      'DIAGNOSIS-REPORT.md',
    ]) {
      assert.ok(onDisk.includes(p), `missing ${p}`);
    }
    assert.ok((manifest.redactions ?? 0) >= 4, `redactions: ${manifest.redactions}`);
  });

  it('writes cluster objects as API List documents', async () => {
    const pods = JSON.parse(await readFile(join(dir, 'cluster/pods.json'), 'utf8'));
    assert.equal(pods.apiVersion, 'v1');
    assert.equal(pods.kind, 'List');
    assert.equal(pods.items.length, input.cluster.pods.length);
    assert.deepEqual(JSON.parse(await readFile(join(dir, 'cluster/version.json'), 'utf8')), {
      gitVersion: 'v1.30.2',
    });
  });

  it('reads back the redacted cluster state, object for object', () => {
    const expected = redactValue(input.cluster);
    for (const key of [
      'nodes',
      'namespaces',
      'pods',
      'services',
      'endpointSlices',
      'daemonSets',
      'deployments',
      'events',
    ] as const) {
      assert.deepEqual(snapshot.cluster[key], expected[key], key);
    }
    assert.equal(snapshot.cluster.serverVersion, 'v1.30.2');
    assert.deepEqual(
      snapshot.cluster.configMaps.map((c) => c.metadata.name),
      ['coredns', 'kube-proxy', 'kube-flannel-cfg'],
    );
    assert.equal(
      snapshot.cluster.configMaps[0]!.data!['Corefile'],
      input.cluster.configMaps[0]!.data!['Corefile'],
    );
    assert.deepEqual(Object.keys(snapshot.cluster.logs).sort(), Object.keys(input.cluster.logs).sort());
    assert.equal(
      snapshot.cluster.logs['kube-system/coredns-7db6d8ff4d-4lq8n/coredns'],
      input.cluster.logs['kube-system/coredns-7db6d8ff4d-4lq8n/coredns'],
    );
    assert.match(
      snapshot.cluster.logs['kube-system/kube-proxy-7xk2p/kube-proxy/previous']!,
      /Bearer REDACTED/,
    );
  });

  it('parses each node file with its own parser', () => {
    for (const node of ['node-1', 'node-2']) {
      const dp = snapshot.nodes[node]!;
      assert.equal(dp.name, node);
      assert.deepEqual(dp.links, NODE_FILE_PARSERS.links(captured[node]!.links!));
      assert.deepEqual(dp.routes, NODE_FILE_PARSERS.routes(captured[node]!.routes!));
      assert.deepEqual(dp.fdb, NODE_FILE_PARSERS.fdb(captured[node]!.fdb!));
      assert.deepEqual(dp.iptablesNft, NODE_FILE_PARSERS.iptablesNft(captured[node]!.iptablesNft!));
      assert.equal(dp.iptablesLegacy, undefined, 'not collected, so absent rather than empty');
    }
    const n1 = snapshot.nodes['node-1']!;
    const cni0 = n1.links?.find((l) => l.ifname === 'cni0');
    assert.deepEqual(
      cni0?.addrs.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`),
      ['10.244.0.1/24'],
    );
    assert.equal(n1.links?.find((l) => l.ifname === 'veth3f2a1b0c')?.master, 'cni0');
    const peer = n1.routes?.find((r) => r.dst === '10.244.1.0/24');
    assert.equal(peer?.gateway, '192.168.56.12');
    assert.equal(peer?.dev, 'eth0');
    assert.ok(n1.neighbors?.some((n) => n.dst === '192.168.56.12' && n.lladdr === '52:54:00:12:34:52'));
    assert.ok(n1.fdb?.some((f) => f.mac === '0a:58:0a:f4:00:07' && f.dev === 'veth3f2a1b0c'));
    const masq = n1.iptablesNft?.tables['nat']?.rules.find((r) => r.target === 'MASQUERADE');
    assert.equal(masq?.comment, 'flanneld masq');
    assert.equal(n1.iptablesNft?.backend, 'nf_tables');
    assert.equal(n1.sysctls?.['net.ipv4.ip_forward'], '0');
    assert.equal(n1.flannelSubnetEnv?.subnet, '10.244.0.1/24');
    assert.equal(snapshot.nodes['node-2']!.flannelSubnetEnv?.subnet, '10.244.1.1/24');
    assert.deepEqual(n1.resolvConf?.nameservers, ['192.168.56.1']);
    assert.deepEqual(
      n1.cniConfigs?.map((c) => [c.file, c.name, c.plugins, c.error]),
      [['10-flannel.conflist', 'cbr0', ['flannel', 'portmap'], undefined]],
    );
  });

  it('keeps meta, probes and gaps', () => {
    assert.deepEqual(snapshot.meta, input.meta);
    assert.deepEqual(snapshot.probes, PROBES);
    assert.deepEqual(snapshot.gaps, input.gaps);
  });

  it('never writes a Secret or a planted secret value', async () => {
    for (const path of await filesUnder(dir)) {
      const text = await readFile(join(dir, path), 'utf8');
      for (const s of PLANTED_SECRETS) assert.ok(!text.includes(s), `${s} found in ${path}`);
      assert.ok(!text.includes('db-credentials'), `the Secret leaked into ${path}`);
    }
    assert.ok(snapshot.cluster.configMaps.every((c) => (c as { kind?: string }).kind !== 'Secret'));
    const billing = snapshot.cluster.pods.find((p) => p.metadata.name === 'billing-5d8f7c')!;
    const env = (billing.spec.containers[0] as unknown as { env: { name: string; value?: string }[] }).env;
    assert.deepEqual(
      env.map((e) => [e.name, e.value]),
      [
        ['DB_HOST', '10.96.12.4'],
        ['DB_PASSWORD', 'REDACTED'],
        ['STRIPE_API_KEY', 'REDACTED'],
        ['NODE_NAME', undefined],
      ],
    );
  });

  it('writes browsable component summaries', async () => {
    const read = (p: string): Promise<string> => readFile(join(dir, p), 'utf8');
    const coredns = await read('components/coredns.txt');
    assert.match(coredns, /coredns-7db6d8ff4d-4lq8n\s+1\/1\s+Running\s+0\s+node-1\s+10\.244\.0\.2/);
    assert.match(coredns, /forward \. \/etc\/resolv\.conf/);
    assert.match(coredns, /Ready\s+True/);
    assert.match(coredns, /10\.244\.1\.2\s+true\s+node-2\s+coredns-7db6d8ff4d-wz9mc/);
    const proxy = await read('components/kube-proxy.txt');
    assert.match(proxy, /kube-proxy-7xk2p\s+0\/1\s+CrashLoopBackOff\s+7\s+node-2/);
    assert.match(proxy, /Last State:\s+Terminated\n\s+Reason:\s+Error\n\s+Exit Code:\s+1/);
    assert.match(proxy, /logs\/kube-system\/kube-proxy-7xk2p\/kube-proxy\.previous\.log/);
    const cni = await read('components/cni.txt');
    assert.match(cni, /kube-flannel\s+kube-flannel-ds\s+2\s+2\s+2\s+2/);
    assert.match(cni, /kube-flannel-ds-m5v7k/);
    assert.match(cni, /"Network": "10\.244\.0\.0\/16"/);
    const events = await read('components/kube-system-events.txt');
    assert.ok(events.indexOf('Started') < events.indexOf('BackOff'), 'events are oldest first');
    const dns = await read('components/dns-test-results.txt');
    assert.match(dns, /2 probes, 1 failed/);
    assert.match(dns, /dns-udp\/node-2\/kube-dns .*FAIL timeout/);
    assert.doesNotMatch(dns, /pod-to-pod/);
  });

  it('reads a .tar.gz of the bundle to the same snapshot and leaves no temporary files', async () => {
    const archive = await packBundle(dir, await listedFiles(dir));
    assert.equal(archive, `${dir}.tar.gz`);
    const entries: string[] = [];
    await list({ file: archive, onReadEntry: (e) => entries.push(e.path) });
    const top = basename(dir);
    assert.ok(entries.length > 20);
    assert.ok(
      entries.every((p) => p === `${top}/` || p.startsWith(`${top}/`)),
      entries.join(','),
    );
    // A private TMPDIR shows whether the reader removed its extraction directory.
    const privateTmp = join(work, 'tmp');
    await mkdir(privateTmp);
    const saved = process.env['TMPDIR'];
    process.env['TMPDIR'] = privateTmp;
    try {
      const detailed = await readBundleDetailed(archive);
      assert.deepEqual(detailed.snapshot, snapshot);
      assert.deepEqual(detailed.manifest, manifest);
      assert.ok(detailed.timings.parseMs > 0 && detailed.timings.readMs > 0);
      assert.deepEqual(await readdir(privateTmp), []);
    } finally {
      if (saved === undefined) delete process.env['TMPDIR'];
      else process.env['TMPDIR'] = saved;
    }
  });

  it('rewrites a bundle in place without keeping a stale manifest', async () => {
    const again = await writeBundle(dir, input);
    assert.deepEqual(again, manifest);
    assert.deepEqual(await readBundle(join(dir, 'manifest.json')), snapshot);
  });
});
