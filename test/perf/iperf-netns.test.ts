/**
 * The perf pods' own command lines, run for real between two network namespaces the test
 * creates, with the host's iperf3: the server argv each server pod runs, and the client script
 * with the PLAN each client pod gets, step by step in the plan's order (TCP, then UDP at the
 * rate the TCP result sets), read back the way a pod log is read. The two namespaces are joined
 * by a veth (the "underlay", what hostNetwork pods use) and by a VXLAN device over it (the
 * "overlay", what flannel gives pods), so the run measures a real overlay's cost. Needs root.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import {
  CLIENT_SCRIPT,
  clientPlan,
  HOST_SERVER_PORT,
  POD_SERVER_PORT,
  parseClientLog,
  serverArgv,
  serverListening,
} from '../../src/perf/iperf-commands.ts';
import { outcomeOfRun } from '../../src/perf/iperf-json.ts';
import { clientRunsFor, stepsFor, udpTargetMbps } from '../../src/perf/plan.ts';
import { renderPerf } from '../../src/perf/render.ts';
import { summarizePair } from '../../src/perf/summarize.ts';
import { type NodePair, nodeName, type PerfTestResult } from '../../src/perf/types.ts';
import { addVxlan, canUseNetns, joinNetns, withNetns } from '../support/netns.ts';

function hasIperf3(): boolean {
  try {
    execFileSync('iperf3', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const skip = !canUseNetns()
  ? 'needs root and iproute2 to create network namespaces'
  : !hasIperf3()
    ? 'needs iperf3 on the host (apt-get install iperf3)'
    : false;

const UNDERLAY = { a: '10.250.7.1', b: '10.250.7.2' };
const OVERLAY = { a: '10.249.7.1', b: '10.249.7.2' };
const SECONDS = 2;

/** veth between the namespaces, and a VXLAN device over it, as flannel builds one per node. */
function wire(a: string, b: string): void {
  const [devA, devB] = joinNetns(a, b, UNDERLAY.a, UNDERLAY.b);
  addVxlan(a, { name: 'ndvx0', id: 77, local: UNDERLAY.a, remote: UNDERLAY.b, dev: devA, addr: OVERLAY.a });
  addVxlan(b, { name: 'ndvx0', id: 77, local: UNDERLAY.b, remote: UNDERLAY.a, dev: devB, addr: OVERLAY.b });
}

/** Starts a server the way its pod does and resolves once its log says it listens. */
async function startServer(ns: string, argv: string[]): Promise<ChildProcess> {
  const child = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not listen: ${out}`)), 10_000);
    const on = (c: Buffer) => {
      out += c.toString();
      if (serverListening(out)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', on);
    child.stderr?.on('data', on);
    child.on('exit', () => reject(new Error(`server exited: ${out}`)));
  });
  return child;
}

/**
 * The shells the script must run under: busybox's first when the host has it, since both the
 * lab's toolbox and netshoot (Alpine) run the container's `sh` as busybox ash; then this host's.
 */
const SHELLS: { name: string; prefix: string[] }[] = [
  ...(spawnSync('busybox', ['true']).status === 0 ? [{ name: 'busybox sh', prefix: ['busybox'] }] : []),
  { name: 'sh', prefix: [] },
];
const SHELL = SHELLS[0] ?? { name: 'sh', prefix: [] };

/** Runs the client script with `plan` in `ns`, as the client pod's container does. */
function runClient(ns: string, plan: string, shell = SHELL): string {
  return execFileSync('ip', ['netns', 'exec', ns, ...shell.prefix, 'sh', '-c', CLIENT_SCRIPT], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', PLAN: plan },
    timeout: 120_000,
  });
}

describe('perf command lines between network namespaces (real iperf3)', { skip, timeout: 300_000 }, () => {
  it(`measures pod network (VXLAN) against underlay, TCP and UDP, both directions (${SHELL.name})`, async (t) => {
    await withNetns(['perf-a', 'perf-b'], async (names) => {
      const [a, b] = names as [string, string];
      wire(a, b);
      const servers = [
        // The pod server listens on every address of its own namespace; the host server binds
        // the node's InternalIP, as the pods do.
        await startServer(b, serverArgv(POD_SERVER_PORT)),
        await startServer(b, serverArgv(HOST_SERVER_PORT, UNDERLAY.b)),
      ];
      try {
        const pair: NodePair = { from: nodeName('node-a'), to: nodeName('node-b') };
        const results: PerfTestResult[] = [];
        for (const step of stepsFor(pair)) {
          const server =
            step.mode === 'pod'
              ? { address: OVERLAY.b, port: POD_SERVER_PORT }
              : { address: UNDERLAY.b, port: HOST_SERVER_PORT };
          const runs = clientRunsFor(step, server, SECONDS, results);
          const log = parseClientLog(runClient(a, clientPlan(runs)));
          assert.equal(log.done, true, 'the script ran to its end');
          for (const test of step.tests) {
            const run = log.runs.get(test.id);
            assert.ok(run, `${test.id} printed its run`);
            assert.equal(run.exitCode, 0, run.text.slice(-300));
            const forward = test.direction === 'forward';
            results.push({
              id: test.id,
              mode: step.mode,
              protocol: step.protocol,
              direction: test.direction,
              sender: forward ? pair.from : pair.to,
              receiver: forward ? pair.to : pair.from,
              outcome: outcomeOfRun(run),
            });
          }
        }
        assert.equal(results.length, 8);
        for (const r of results) {
          assert.equal(r.outcome.status, 'ok', `${r.id}: ${JSON.stringify(r.outcome)}`);
          if (r.outcome.status !== 'ok') continue;
          const f = r.outcome.figures;
          assert.equal(f.protocol, r.protocol);
          assert.ok(f.mbps > 0, `${r.id} moved data`);
          assert.ok(f.seconds >= SECONDS - 0.5, `${r.id} ran ${f.seconds} s`);
          if (f.protocol === 'tcp') assert.ok(f.retransmits === undefined || f.retransmits >= 0);
          else {
            const tcp = results.find(
              (x) => x.mode === r.mode && x.protocol === 'tcp' && x.direction === r.direction,
            );
            const tcpMbps = tcp?.outcome.status === 'ok' ? tcp.outcome.figures.mbps : undefined;
            assert.equal(f.targetMbps, udpTargetMbps(tcpMbps), 'UDP sent at the rate the TCP result set');
            assert.ok(f.packets > 0 && f.lostPackets >= 0 && f.lostPackets <= f.packets);
            assert.ok(f.lossPercent >= 0 && f.lossPercent <= 100);
            assert.ok(f.jitterMs >= 0);
          }
        }
        const summary = summarizePair(pair, results);
        for (const d of summary) {
          assert.ok(d.podMbps !== undefined && d.hostMbps !== undefined);
          assert.equal(d.overlayCost.status, 'measured');
          assert.ok(d.podUdpLossPercent !== undefined && d.hostUdpLossPercent !== undefined);
        }
        t.diagnostic(
          renderPerf(
            {
              kind: 'netdoctor-perf',
              schemaVersion: 1,
              startedAt: new Date().toISOString(),
              durationMs: 0,
              testSeconds: SECONDS,
              image: 'host iperf3',
              namespace: '-',
              pairs: [{ ...pair, summary, tests: results }],
              leftOut: [],
              skippedNodes: [],
              complete: true,
            },
            'text',
          ),
        );
      } finally {
        for (const s of servers) s.kill();
      }
    });
  });

  for (const shell of SHELLS)
    it(`a server nobody runs: each test is an error row with iperf3’s reason, fast (${shell.name})`, async () => {
      await withNetns(['perf-c', 'perf-d'], async (names) => {
        const [a, b] = names as [string, string];
        wire(a, b);
        const pair: NodePair = { from: nodeName('node-a'), to: nodeName('node-b') };
        const [tcpStep] = stepsFor(pair);
        assert.ok(tcpStep);
        const runs = clientRunsFor(tcpStep, { address: UNDERLAY.b, port: HOST_SERVER_PORT }, SECONDS, []);
        const t0 = Date.now();
        const log = parseClientLog(runClient(a, clientPlan(runs), shell));
        assert.equal(log.done, true);
        assert.ok(Date.now() - t0 < 20_000, 'refused at once, not after a timeout');
        for (const r of runs) {
          const run = log.runs.get(r.id);
          assert.ok(run);
          // Not the exit code: iperf3 3.12 -J exits 0 on a refused connection. The document's
          // `error` is what counts, and that is what the parser reads.
          const outcome = outcomeOfRun(run);
          assert.equal(outcome.status, 'error');
          assert.match(
            outcome.status === 'error' ? outcome.error : '',
            /^iperf3: unable to connect to server/,
          );
        }
      });
    });
});
