/**
 * An API server netdoctor cannot use stops the run with exit 3, naming the server, the context
 * and the status, instead of collecting nothing and calling the silence healthy. Real servers on
 * 127.0.0.1 answer each way a broken kubeconfig meets: a certificate the client does not trust,
 * plain HTTP behind an https:// URL, 401, 403, 500, and a web page instead of the API.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { classifyApiError } from '../../src/cluster/api-error.ts';
import { KubePort } from '../../src/cluster/kube-port.ts';
import { collectCluster } from '../../src/collect/cluster/collect-cluster.ts';
import { EXIT, NetdoctorError } from '../../src/core/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'nd-api-access-'));
const openssl = spawnSync(
  'openssl',
  [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    join(dir, 'key.pem'),
    '-out',
    join(dir, 'cert.pem'),
    '-days',
    '1',
    '-subj',
    '/CN=localhost',
  ],
  { encoding: 'utf8' },
);
const noOpenssl = openssl.status === 0 ? false : 'openssl is not available to make a test certificate';

function port(s: Server): number {
  return (s.address() as AddressInfo).port;
}

function kubePort(server: string, insecureHttp = false): KubePort {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server, skipTLSVerify: insecureHttp }],
    users: [{ name: 'u', token: 'not-a-real-token' }],
    contexts: [{ name: 'test-ctx', cluster: 'c', user: 'u' }],
    currentContext: 'test-ctx',
  });
  return new KubePort(kc);
}

async function refusal(p: KubePort): Promise<NetdoctorError> {
  const started = Date.now();
  const err = await collectCluster(p, { timeoutMs: 5_000 }).then(
    () => assert.fail('collectCluster went on'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof NetdoctorError, String(err));
  assert.equal(err.exitCode, EXIT.cluster);
  assert.match(err.message, new RegExp(p.target.server.replace(/[.]/g, '\\.')));
  assert.match(err.message, /test-ctx/);
  assert.ok(Date.now() - started < 5_000, 'fails at once');
  return err;
}

describe('an API server that cannot be used exits 3 on the first call', () => {
  const servers: Server[] = [];
  let status: Server;
  let html: Server;
  before(async () => {
    status = createServer((req, res) => {
      const code = Number(/^\/(\d{3})\//.exec(req.url ?? '')?.[1] ?? 200);
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          kind: 'Status',
          apiVersion: 'v1',
          code,
          message: code === 404 ? 'namespaces "nope" not found' : 'refused by the test server',
        }),
      );
    });
    html = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html><body>a web server, not Kubernetes</body></html>');
    });
    servers.push(status, html);
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()))));
  });
  after(() => {
    for (const s of servers) s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const code of [401, 403, 500, 503]) {
    it(`HTTP ${code}`, async () => {
      const err = await refusal(kubePort(`http://127.0.0.1:${port(status)}/${code}`, true));
      assert.match(err.message, new RegExp(`HTTP ${code}`));
    });
  }

  it('a certificate the client does not trust', { skip: noOpenssl }, async () => {
    const tls = createTlsServer(
      { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
      (_req, res) => res.end('{}'),
    );
    servers.push(tls);
    await new Promise<void>((r) => tls.listen(0, '127.0.0.1', () => r()));
    const err = await refusal(kubePort(`https://127.0.0.1:${port(tls)}`));
    assert.match(err.message, /TLS error SELF_SIGNED|TLS error DEPTH_ZERO_SELF_SIGNED_CERT/);
  });

  it('plain HTTP behind an https:// URL', async () => {
    const err = await refusal(kubePort(`https://127.0.0.1:${port(status)}`));
    assert.match(err.message, /TLS error/);
  });

  it("a later call that fails names the API server's own reason, not only the HTTP code", async () => {
    const p = kubePort(`http://127.0.0.1:${port(status)}/404`, true);
    const err = await p.createPod('nope', { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' } }).then(
      () => assert.fail('created'),
      (e: unknown) => e,
    );
    assert.deepEqual(classifyApiError(err), {
      reason: 'not-found',
      detail: 'HTTP 404: namespaces "nope" not found',
    });
  });

  it('a web page instead of the API', async () => {
    const err = await refusal(kubePort(`http://127.0.0.1:${port(html)}`, true));
    assert.match(err.message, /did not answer like a Kubernetes API server/);
  });
});
