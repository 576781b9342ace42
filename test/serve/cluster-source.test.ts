/**
 * The live report source runs netdoctor's own diagnosis pipeline each round. The lab cluster
 * is for the live suites; here the API server is a stub on 127.0.0.1 that answers /version and
 * empty lists, which is enough to run the real pipeline end to end (collect, write the bundle,
 * analyze) and to see what the source does with its bundles and what it sends.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KubePort, loadKubeConfig } from '../../src/cluster/kube-port.ts';
import { ClusterSource } from '../../src/serve/cluster-source.ts';
import { scratchDir } from '../support/scratch-dir.ts';

describe('the cluster report source', () => {
  let api: Server;
  const requests: string[] = [];
  let kubeconfig: string;

  before(async () => {
    api = createServer((req, res) => {
      requests.push(`${req.method} ${req.url}`);
      const body =
        req.url === '/version'
          ? { major: '1', minor: '30', gitVersion: 'v1.30.0' }
          : { kind: 'List', apiVersion: 'v1', metadata: { resourceVersion: '1' }, items: [] };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    });
    await new Promise<void>((done) => api.listen(0, '127.0.0.1', done));
    const { port } = api.address() as AddressInfo;
    kubeconfig = join(await scratchDir('ndt-cluster-source-'), 'kubeconfig');
    writeFileSync(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        '- name: stub',
        '  cluster:',
        `    server: http://127.0.0.1:${port}`,
        '    insecure-skip-tls-verify: true',
        'users:',
        '- name: u',
        '  user: {}',
        'contexts:',
        '- name: stub',
        '  context: {cluster: stub, user: u}',
        'current-context: stub',
        '',
      ].join('\n'),
    );
  });
  after(() => api.close());

  it('runs the diagnose pipeline each round, keeps only the latest bundle, and only reads', async () => {
    const source = new ClusterSource(new KubePort(loadKubeConfig({ kubeconfig })), {
      nodeAccess: { kind: 'none' },
      probes: false,
      probeNamespace: 'netdoctor',
      probeImage: 'unused',
      check: true,
    });
    const first = await source.produce();
    // No node could be seen: never healthy.
    assert.equal(first.verdict, 'inconclusive');
    const firstBundle = source.lastBundle as string;
    assert.ok(existsSync(join(firstBundle, 'report.json')));
    await source.produce();
    const second = source.lastBundle as string;
    assert.notEqual(second, firstBundle);
    assert.ok(
      !existsSync(firstBundle) && !existsSync(`${firstBundle}.tar.gz`),
      'the earlier round is removed',
    );
    const work = dirname(second);
    assert.deepEqual(readdirSync(work).sort(), ['round-2', 'round-2.tar.gz']);
    assert.deepEqual(
      requests.filter((r) => !r.startsWith('GET ')),
      [],
      'with --node-access none and --no-probes a round only reads',
    );
    await source.close();
    assert.ok(!existsSync(work));
  });

  it('a failed round leaves no bundle behind and throws the reason', async () => {
    const source = new ClusterSource(
      new KubePort(loadKubeConfig({ kubeconfig })),
      // An API server that is gone: the round fails before anything is collected.
      { nodeAccess: { kind: 'none' }, probes: false, probeNamespace: 'netdoctor', probeImage: 'unused' },
    );
    api.closeAllConnections();
    await new Promise<void>((done) => api.close(() => done()));
    await assert.rejects(source.produce(), /cannot reach|cannot read|ECONNREFUSED/);
    assert.equal(source.lastBundle, undefined);
    await source.close();
  });
});
