/**
 * The probe client's TLS probe run for real: the client script in a network namespace the test
 * creates, handshaking with openssl s_server in a second one that serves each certificate shape
 * the lab's outside world serves (valid, expired, another name's, self-signed), all made by the
 * lab's own code under a CA the test makes. What the client prints must parse into the right
 * verification result, the certificate's dates and names, and the time spent per phase. Needs
 * root and openssl.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeOutsideCerts, OUTSIDE_TLS_PORTS, tlsServerArgs } from '../../src/lab/outside-tls.ts';
import { type ClientLine, parseClientLog } from '../../src/probe/parse.ts';
import { CLIENT_SCRIPT } from '../../src/probe/scripts.ts';
import {
  canUseNetns,
  createNetns,
  destroyNetns,
  joinNetns,
  nsExec,
  uniqueNetnsName,
} from '../support/netns.ts';

const skip = canUseNetns() ? false : 'needs root and iproute2 to create network namespaces';
const NAME = 'www.outside.test';
const SERVER = '10.253.0.2';
const CLOSED_PORT = 11443;

describe('TLS probe against real TLS servers in namespaces', { skip, timeout: 120_000 }, () => {
  const client = uniqueNetnsName('tls-c');
  const server = uniqueNetnsName('tls-s');
  const work = mkdtempSync(join(tmpdir(), 'netdoctor-tls-'));
  const hostsDir = join('/etc/netns', client);
  const servers: ChildProcess[] = [];
  let caPem = '';
  const now = new Date();

  before(async () => {
    createNetns(client);
    createNetns(server);
    joinNetns(client, server, '10.253.0.1', SERVER);
    // `ip netns exec` mounts /etc/netns/<ns>/hosts over /etc/hosts: the name resolves there only.
    mkdirSync(hostsDir, { recursive: true });
    writeFileSync(join(hostsDir, 'hosts'), `127.0.0.1 localhost\n${SERVER} ${NAME} other.outside.test\n`);

    const ca = { cert: join(work, 'ca.crt'), key: join(work, 'ca.key') };
    execFileSync('openssl', [
      'genpkey',
      '-algorithm',
      'EC',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-out',
      ca.key,
    ]);
    execFileSync('openssl', [
      'req',
      '-x509',
      '-new',
      '-key',
      ca.key,
      '-subj',
      '/CN=netdoctor-test-ca',
      '-days',
      '30',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
      '-out',
      ca.cert,
    ]);
    caPem = readFileSync(ca.cert, 'utf8');
    const certs = makeOutsideCerts(join(work, 'tls'), ca, NAME);
    for (const [kind, port] of Object.entries(OUTSIDE_TLS_PORTS)) {
      const files = certs[kind as keyof typeof certs];
      servers.push(
        spawn('ip', ['netns', 'exec', server, 'openssl', ...tlsServerArgs(SERVER, port, files)], {
          stdio: 'ignore',
        }),
      );
    }
    // Listening once a TCP connect succeeds on every port.
    for (const port of Object.values(OUTSIDE_TLS_PORTS)) {
      for (let i = 0; ; i++) {
        try {
          nsExec(client, ['bash', '-c', `exec 3<>/dev/tcp/${SERVER}/${port}`]);
          break;
        } catch (err) {
          if (i > 50) throw err;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    }
  });

  after(() => {
    for (const s of servers) s.kill();
    destroyNetns(client);
    destroyNetns(server);
    rmSync(hostsDir, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  function probe(withCa: boolean): Map<number, ClientLine> {
    const plan = [
      `0 tls ${NAME} ${OUTSIDE_TLS_PORTS.valid}`,
      `1 tls ${NAME} ${OUTSIDE_TLS_PORTS.expired}`,
      `2 tls ${NAME} ${OUTSIDE_TLS_PORTS.wrongName}`,
      `3 tls ${NAME} ${OUTSIDE_TLS_PORTS.selfSigned}`,
      `4 tls ${NAME} ${CLOSED_PORT}`,
    ].join('\n');
    const out = execFileSync('ip', ['netns', 'exec', client, 'sh', '-c', CLIENT_SCRIPT], {
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        PLAN: plan,
        PAR: '5',
        ...(withCa ? { TLS_CA: caPem } : {}),
      },
      timeout: 60_000,
    });
    const log = parseClientLog(out, now);
    assert.equal(log.done, true);
    return log.lines;
  }

  it('verifies a valid certificate and reports version, cipher, names, expiry and timings', () => {
    const l = probe(true).get(0);
    assert.equal(l?.outcome.status, 'pass', JSON.stringify(l));
    const t = l.tls;
    assert.ok(t);
    assert.equal(t.verify, 'ok');
    assert.match(t.version ?? '', /^TLSv1\.[23]$/);
    assert.match(t.cipher ?? '', /^TLS_|^ECDHE/);
    assert.match(t.subject ?? '', /CN ?= ?www\.outside\.test/);
    assert.match(t.issuer ?? '', /netdoctor-test-ca/);
    assert.equal(t.chain?.length, 1, 'the server presents its leaf only');
    assert.match(t.chain?.[0] ?? '', /CN ?= ?www\.outside\.test/);
    assert.ok(t.daysLeft !== undefined && t.daysLeft >= 363 && t.daysLeft <= 365, String(t.daysLeft));
    assert.ok(
      t.dnsMs !== undefined && t.tcpMs !== undefined && t.tlsMs !== undefined && t.tlsMs > 0,
      JSON.stringify(t),
    );
    assert.equal(l.address, SERVER, 'the address the name resolved to, for tracing');
  });

  it('tells expired, wrong-name, self-signed and unreachable apart', () => {
    const lines = probe(true);
    const expired = lines.get(1);
    assert.equal(expired?.outcome.status, 'fail');
    assert.equal(expired.tls?.verify, 'expired');
    assert.equal(expired.tls.notAfter, '2025-01-01T00:00:00.000Z');
    assert.ok((expired.tls.daysLeft ?? 0) < 0);
    const wrong = lines.get(2);
    assert.equal(wrong?.tls?.verify, 'name-mismatch', JSON.stringify(wrong));
    assert.match(wrong.tls.subject ?? '', /other\.outside\.test/);
    assert.equal(lines.get(3)?.tls?.verify, 'untrusted', JSON.stringify(lines.get(3)));
    const closed = lines.get(4);
    assert.deepEqual(closed?.outcome.status === 'fail' && closed.outcome.error, 'refused');
    assert.equal(closed?.tls?.verify, 'not-reached');
  });

  it('without the private CA the valid certificate is untrusted: the image trusts public roots only', () => {
    assert.equal(probe(false).get(0)?.tls?.verify, 'untrusted');
  });
});
