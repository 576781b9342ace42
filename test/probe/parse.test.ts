import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { ProbeResults } from '../../src/core/probe-types.ts';
import { parseCaptureLog, parseClientLine, parseClientLog, parsePingStats } from '../../src/probe/parse.ts';
import { buildResult, type ResolveEnv, resolveProbe } from '../../src/probe/resolve.ts';
import { NO_DF_PING } from '../../src/probe/scripts.ts';
import type { PlannedProbe } from '../../src/probe/types.ts';

const fixture = (f: string) => readFileSync(new URL(`./fixtures/${f}`, import.meta.url), 'utf8');

describe('client log parsing (recorded from the lab)', () => {
  const log = parseClientLog(fixture('client-log.txt'));
  const errorOf = (i: number) => {
    const o = log.lines.get(i)?.outcome;
    return o?.status === 'fail' ? o.error : o?.status;
  };
  it('reads the header and the end marker', () => {
    assert.equal(log.done, true);
    assert.equal(log.dfPing, false);
    assert.equal(log.podMtu, 1450);
    assert.equal(log.lines.size, 7);
  });
  it('turns each line into an outcome', () => {
    assert.deepEqual(log.lines.get(0)?.outcome, {
      status: 'pass',
      rttMs: 39.895,
      detail: '2 transmitted, 2 received',
    });
    assert.equal(log.lines.get(1)?.outcome.status, 'fail');
    assert.deepEqual(errorOf(1), 'refused');
    assert.deepEqual(log.lines.get(2)?.outcome, {
      status: 'fail',
      error: 'nxdomain',
      detail: 'nosuch.outside.test: NXDOMAIN',
    });
    assert.equal(log.lines.get(3)?.outcome.status, 'pass');
    assert.deepEqual(log.lines.get(4), {
      index: 4,
      outcome: { status: 'skipped', reason: NO_DF_PING },
      size: 1422,
    });
    assert.deepEqual(errorOf(6), 'timeout');
  });
  it('ignores what is not a result line', () => {
    assert.equal(parseClientLine('ping: bad address'), undefined);
    assert.equal(parseClientLine('{"x":1}'), undefined);
    assert.deepEqual(parseClientLine('{"i":3,"s":"fail","e":"bogus","ms":"","d":"","z":""}')?.outcome, {
      status: 'fail',
      error: 'other',
    });
  });
});

describe('ping statistics', () => {
  it('reads counts and round trips, and keeps a total loss as a loss', () => {
    assert.deepEqual(
      parseClientLine('{"i":0,"s":"pass","e":"","ms":"0.06","d":"","z":"","p":"5 5 0.041 0.060 0.088"}')
        ?.ping,
      {
        sent: 5,
        received: 5,
        minMs: 0.041,
        avgMs: 0.06,
        maxMs: 0.088,
      },
    );
    assert.deepEqual(parsePingStats('5 0 '), { sent: 5, received: 0 });
    assert.deepEqual(parsePingStats('5 3 1.5 2 4'), { sent: 5, received: 3, minMs: 1.5, avgMs: 2, maxMs: 4 });
  });
  it('refuses counts that cannot be, rather than inventing a loss', () => {
    for (const bad of ['', '0 0', '3 5 1 1 1', '5 x', '-1 0', '5 5 1 nan 2'])
      assert.equal(parsePingStats(bad), undefined, JSON.stringify(bad));
    assert.equal(parseClientLine('{"i":0,"s":"pass","e":"","ms":"","d":"","z":""}')?.ping, undefined);
  });
});

describe('capture log parsing', () => {
  it('takes the last cumulative count', () => {
    const c = parseCaptureLog(fixture('capture-log.txt'));
    assert.equal(c.started, true);
    assert.deepEqual(c.capture, {
      iface: 'eth0',
      port: 8472,
      seconds: 7,
      packetsByPeer: { '10.213.0.13': 6 },
      total: 6,
    });
  });
  it('reports a tcpdump that did not start', () => {
    const c = parseCaptureLog(`{"error":"tcpdump: Couldn't find user 'tcpdump' "}\n`);
    assert.equal(c.started, false);
    assert.match(c.error ?? '', /tcpdump/);
  });
});

describe('results', () => {
  const env: ResolveEnv = {
    namespace: 'netdoctor',
    serverPort: 8080,
    servers: new Map([
      ['n1', { ok: true, pod: 'srv-0', ip: '10.244.0.5' }],
      [
        'n2',
        {
          ok: false,
          outcome: { status: 'skipped', reason: 'probe server on n2 could not be created: forbidden' },
        },
      ],
    ]),
    service: { ok: true, name: 'svc', namespace: 'netdoctor', clusterIP: '10.96.5.5', nodePort: 30080 },
  };
  const from = { node: 'n1', pod: 'cli-0', namespace: 'netdoctor', ip: '10.244.0.9' };
  const tcp: PlannedProbe = {
    scenario: 'pod-to-pod-tcp',
    from: 'n1',
    to: 'n1',
    target: { kind: 'server', node: 'n1' },
    command: { kind: 'http', port: 8080, path: '/', tries: 1 },
    protocol: 'tcp',
  };
  it('resolves targets to the PLAN line the client runs', () => {
    assert.equal(resolveProbe(tcp, env).command, 'http http://10.244.0.5:8080/ 1');
    const np: PlannedProbe = {
      ...tcp,
      scenario: 'nodeport',
      to: 'n2',
      target: { kind: 'nodeport', node: 'n2', ip: '10.0.0.2' },
      command: { kind: 'http', port: 0, path: '/', tries: 3 },
    };
    assert.equal(resolveProbe(np, env).command, 'http http://10.0.0.2:30080/ 3');
  });
  it('a probe to a server that could not be created is skipped with the reason', () => {
    const r = resolveProbe({ ...tcp, to: 'n2', target: { kind: 'server', node: 'n2' } }, env);
    assert.equal(r.command, undefined);
    assert.deepEqual(r.outcome, {
      status: 'skipped',
      reason: 'probe server on n2 could not be created: forbidden',
    });
  });
  it('builds results in the shape of the recorded examples', () => {
    const ex = JSON.parse(readFileSync('examples/healthy/probes/results.json', 'utf8')) as ProbeResults;
    const exTcp = ex.results.find((r) => r.scenario === 'pod-to-pod-tcp');
    const res = buildResult(tcp, from, resolveProbe(tcp, env).to, {
      status: 'pass',
      rttMs: 1,
      detail: 'HTTP 200',
    });
    assert.deepEqual(Object.keys(res).sort(), Object.keys(exTcp ?? {}).sort());
    assert.deepEqual(Object.keys(res.to).sort(), Object.keys(exTcp?.to ?? {}).sort());
    assert.equal(res.id, 'pod-to-pod-tcp/n1/n1');
    const mtu: PlannedProbe = {
      scenario: 'mtu',
      from: 'n1',
      to: 'n2',
      target: { kind: 'server', node: 'n1' },
      command: { kind: 'mtu', delta: 1 },
      protocol: 'icmp',
      variant: 'above',
    };
    const m = buildResult(mtu, from, {}, { status: 'fail', error: 'other' }, { size: 1423 });
    assert.equal(m.id, 'mtu/n1/n2/1423');
    assert.equal(m.size, 1423);
    assert.equal(m.expect, 'fail');
  });
});
