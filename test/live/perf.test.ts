/**
 * `netdoctor perf` through the CLI against the live lab: ndlab-node1 to ndlab-node2 over the
 * pod network (flannel VXLAN) and host to host, TCP and UDP, both directions; a node that does
 * not exist; and Ctrl-C mid-run. Every run must leave no pod of its own behind. The pods go in a
 * namespace of this suite's own, so the ownership checks see only them while other suites use
 * the lab. Skipped, with the reason, when the lab is not running. Changes nothing in the lab
 * but its own pods; run it alone like the other live suites:
 * `node --test --test-concurrency=1 test/live/perf.test.ts`.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import type { PerfReport } from '../../src/perf/types.ts';
import { cli, type LabInfo, labArgs, labOrSkipReason, ownedPods, until, useNamespace } from './live-lab.ts';

const status = labOrSkipReason();
const skip = 'skip' in status ? status.skip : false;
const lab = ('lab' in status ? status.lab : undefined) as LabInfo;
const NS = `ndt-perf-live-${process.pid}`;
const FROM = 'ndlab-node1';
const TO = 'ndlab-node2';
const mine = (): string[] => ownedPods(lab).filter((p) => p.startsWith(`${NS}/`));

describe('netdoctor perf against the live lab', { skip, concurrency: false, timeout: 900_000 }, () => {
  useNamespace(lab, NS, skip);

  it(`${FROM} -> ${TO}: pod and host throughput, the overlay's share, UDP loss; no pod left`, async (t) => {
    const r = cli(['perf', '--from', FROM, '--to', TO, '-o', 'json', ...labArgs(lab, NS)], 480_000);
    assert.equal(r.code, 0, `exit ${r.code}\n${r.stderr}\n${r.stdout}`);
    const report = JSON.parse(r.stdout) as PerfReport;
    assert.equal(report.kind, 'netdoctor-perf');
    assert.equal(report.complete, true);
    assert.equal(report.pairs.length, 1);
    const [pair] = report.pairs;
    assert.ok(pair);
    assert.deepEqual([pair.from, pair.to], [FROM, TO]);
    assert.equal(pair.tests.length, 8, 'pod and host, TCP and UDP, both directions');
    for (const test of pair.tests)
      assert.equal(test.outcome.status, 'ok', `${test.id}: ${JSON.stringify(test.outcome)}`);
    assert.deepEqual(
      pair.summary.map((d) => `${d.sender}->${d.receiver}`),
      [`${FROM}->${TO}`, `${TO}->${FROM}`],
    );
    for (const d of pair.summary) {
      assert.ok((d.podMbps ?? 0) > 0, `pod throughput ${d.direction}: ${d.podMbps}`);
      assert.ok((d.hostMbps ?? 0) > 0, `host throughput ${d.direction}: ${d.hostMbps}`);
      assert.equal(d.overlayCost.status, 'measured', JSON.stringify(d.overlayCost));
      if (d.overlayCost.status === 'measured') assert.ok(Number.isFinite(d.overlayCost.percent));
      assert.ok(d.podUdpLossPercent !== undefined && d.hostUdpLossPercent !== undefined, 'UDP loss measured');
    }
    t.diagnostic(
      pair.summary
        .map(
          (d) =>
            `${d.sender} -> ${d.receiver}: pod ${d.podMbps} Mbit/s, host ${d.hostMbps} Mbit/s, overlay cost ${
              d.overlayCost.status === 'measured' ? `${d.overlayCost.percent} %` : '?'
            }, retransmits ${d.podRetransmits}/${d.hostRetransmits}, UDP loss ${d.podUdpLossPercent}/${d.hostUdpLossPercent} %`,
        )
        .join('\n'),
    );
    assert.ok(await until(() => mine().length === 0, 30_000), `left behind: ${mine().join(', ')}`);
  });

  it('a node that does not exist is named, exit 2, nothing created', () => {
    const r = cli(['perf', '--from', FROM, '--to', 'ndlab-node9', ...labArgs(lab, NS)], 120_000);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /no node named ndlab-node9 in the cluster \(nodes: .*ndlab-node1/);
    assert.deepEqual(mine(), []);
  });

  it('SIGINT mid-run deletes every perf pod and exits 130', async () => {
    const child = spawn(
      process.execPath,
      ['src/cli/main.ts', 'perf', '--from', FROM, '--to', TO, ...labArgs(lab, NS)],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    // Once a client runs, the servers are up too: every kind of perf pod exists.
    const sawClient = await until(() => mine().some((p) => p.includes('-cli-')), 120_000, 200);
    assert.ok(sawClient, `no client pod appeared: ${stderr}`);
    child.kill('SIGINT');
    const code = await exited;
    assert.equal(code, 130, stderr);
    assert.match(stderr, /SIGINT: cleaning up/);
    assert.ok(await until(() => mine().length === 0, 30_000), `left behind: ${mine().join(', ')}`);
  });
});
