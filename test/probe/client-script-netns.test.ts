/**
 * The probe client's ICMP probe run for real: the client script itself, in a network namespace
 * the test creates, pinging a second namespace over a veth, with the host's iputils ping. What
 * it prints must parse into the pair's packet counts and round trips, and a silent address must
 * come back as a failure that still says how many echoes went unanswered. Needs root.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { parseClientLog } from '../../src/probe/parse.ts';
import { CLIENT_SCRIPT } from '../../src/probe/scripts.ts';
import { canUseNetns, joinNetns, withNetns } from '../support/netns.ts';

const skip = canUseNetns() ? false : 'needs root and iproute2 to create network namespaces';

/** Runs the client script in `ns` with `plan`, as the probe pod runs it. */
function runClient(ns: string, plan: string): string {
  return execFileSync('ip', ['netns', 'exec', ns, 'sh', '-c', CLIENT_SCRIPT], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', PLAN: plan, PAR: '4' },
    timeout: 30_000,
  });
}

describe('probe client ICMP statistics (real ping between namespaces)', { skip }, () => {
  it('reports sent, received and min/avg/max for a pair, and the loss of a silent address', async () => {
    await withNetns(['ping-a', 'ping-b'], (names) => {
      const [a, b] = names as [string, string];
      joinNetns(a, b, '10.251.0.1', '10.251.0.2');

      // .2 answers; .9 is inside the namespace's own subnet and nobody holds it.
      const log = parseClientLog(runClient(a, '0 icmp 10.251.0.2\n1 icmp 10.251.0.9'));
      assert.equal(log.done, true);
      assert.equal(log.dfPing, true, 'the host has iputils ping, so the client uses it');

      const ok = log.lines.get(0);
      assert.equal(ok?.outcome.status, 'pass');
      const p = ok?.ping;
      assert.ok(p, 'the passing probe carries ping statistics');
      assert.equal(p.sent, 5);
      assert.equal(p.received, 5);
      assert.ok(p.minMs !== undefined && p.avgMs !== undefined && p.maxMs !== undefined);
      assert.ok(p.minMs > 0 && p.minMs <= p.avgMs && p.avgMs <= p.maxMs, JSON.stringify(p));

      const silent = log.lines.get(1);
      assert.equal(silent?.outcome.status, 'fail');
      assert.ok(silent?.ping, 'a failed ping still says what it sent');
      assert.ok(silent.ping.sent > 0);
      assert.equal(silent.ping.received, 0);
      assert.equal(silent.ping.minMs, undefined);
    });
  });
});
