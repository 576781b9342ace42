/**
 * The agent's HTTP calls against real servers on loopback: what is sent, the answer's status
 * and body (cut at maxBytes), an identity that does not check out, and the ways of getting no
 * answer (refused, silent past the timeout), which must reject with the reason, never hang.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AgentSummary } from '../../src/agent/agent-summary.ts';
import { httpCall } from '../../src/agent/http-call.ts';
import { fetchIdentity } from '../../src/agent/peers-dns.ts';
import { sendSummary } from '../../src/agent/summary-sender.ts';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

async function listen(handler: Handler): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => handler(req, Buffer.concat(parts).toString('utf8'), res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

describe('agent HTTP calls', () => {
  const seen: {
    method: string | undefined;
    url: string | undefined;
    auth: string | undefined;
    type: string | undefined;
    body: string;
  }[] = [];
  let server: Server;
  let port: number;
  let dir: string;

  before(async () => {
    ({ server, port } = await listen((req, body, res) => {
      seen.push({
        method: req.method,
        url: req.url,
        auth: req.headers.authorization,
        type: req.headers['content-type'],
        body,
      });
      if (req.url === '/api/identity') return res.end(JSON.stringify({ node: 'worker-7' }));
      if (req.url === '/big') return res.end('x'.repeat(100_000));
      if (req.url === '/silent') return; // never answers
      if (req.url === '/api/agent-summary' && req.headers.authorization === 'Bearer tok-1') {
        res.statusCode = 202;
        return res.end('{}');
      }
      res.statusCode = 403;
      res.end('forbidden: unknown agent');
    }));
    dir = mkdtempSync(join(tmpdir(), 'netdoctor-http-call-'));
    writeFileSync(join(dir, 'token'), 'tok-1\n');
  });
  after(() => {
    server.closeAllConnections();
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends the method, headers and body, and returns the status and the body cut at maxBytes', async () => {
    const big = await httpCall(`http://127.0.0.1:${port}/big`, { timeoutMs: 2000, maxBytes: 1000 });
    assert.equal(big.status, 200);
    assert.equal(big.text.length, 1000);
    const posted = await httpCall(`http://127.0.0.1:${port}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":"é"}',
      timeoutMs: 2000,
    });
    assert.equal(posted.status, 403);
    assert.deepEqual(seen.at(-1), {
      method: 'POST',
      url: '/echo',
      auth: undefined,
      type: 'application/json',
      body: '{"a":"é"}',
    });
  });

  it('rejects, with the reason, when nothing answers: refused, or silent past the timeout', async () => {
    const closed = await listen(() => {});
    const closedPort = closed.port;
    closed.server.close();
    await assert.rejects(httpCall(`http://127.0.0.1:${closedPort}/`, { timeoutMs: 2000 }), /ECONNREFUSED/);
    const started = performance.now();
    await assert.rejects(
      httpCall(`http://127.0.0.1:${port}/silent`, { timeoutMs: 300 }),
      /no answer within 300 ms/,
    );
    assert.ok(performance.now() - started < 5000);
  });

  it("takes a peer's node name only from a well-formed identity", async () => {
    assert.equal(await fetchIdentity('127.0.0.1', port, 2000), 'worker-7');
    const { server: other, port: otherPort } = await listen((_req, _body, res) =>
      res.end(JSON.stringify({ node: 'Not A Node!' })),
    );
    try {
      assert.equal(await fetchIdentity('127.0.0.1', otherPort, 2000), undefined);
    } finally {
      other.close();
    }
  });

  it('sends the summary with the token read from its file, and tells accepted, refused and failed apart', async () => {
    const summary = { node: 'worker-7' } as unknown as AgentSummary;
    const o = {
      url: `http://127.0.0.1:${port}/api/agent-summary`,
      tokenFile: join(dir, 'token'),
      timeoutMs: 2000,
    };
    assert.deepEqual(await sendSummary(o, summary), { outcome: 'accepted', detail: '202' });
    assert.deepEqual(JSON.parse(seen.at(-1)?.body ?? ''), summary);
    assert.equal(seen.at(-1)?.auth, 'Bearer tok-1');
    writeFileSync(join(dir, 'token'), 'tok-2\n');
    assert.deepEqual(await sendSummary(o, summary), {
      outcome: 'refused',
      detail: '403: forbidden: unknown agent',
    });
    assert.equal((await sendSummary({ ...o, tokenFile: join(dir, 'absent') }, summary)).outcome, 'failed');
    const refused = await sendSummary({ ...o, url: 'http://127.0.0.1:1/api/agent-summary' }, summary);
    assert.equal(refused.outcome, 'failed');
    assert.match(refused.detail, /ECONNREFUSED/);
  });
});
