/**
 * Probe runs against the real lab: on the healthy lab every probe that should pass passes, the
 * VXLAN captures see packets to every peer, nothing owned is left behind, and a run interrupted
 * with SIGINT cleans up. Skips, with the reason, when the lab is not up or carries a fault.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { ownedSelector } from '../../src/cluster/owned-labels.ts';
import type { ClusterPort } from '../../src/cluster/port.ts';
import { type ProbeRun, runProbes } from '../../src/probe/run-probes.ts';
import { NO_DF_PING } from '../../src/probe/scripts.ts';
import {
  LAB_EXTERNAL_NAME,
  LAB_EXTERNAL_TARGET,
  LAB_IMAGE,
  LAB_NAMESPACE,
  labCluster,
  labPort,
  labStatus,
} from './lab-support.ts';

const { status, skip: down } = labStatus();
const faults = status?.faults?.map((f) => f.id) ?? [];
const healthySkip = down ?? (faults.length ? `the lab carries fault(s) ${faults.join(', ')}` : undefined);

async function leftovers(port: ClusterPort, runId: string): Promise<string[]> {
  const sel = ownedSelector(runId);
  for (let i = 0; i < 20; i++) {
    const pods = (await port.listPods(LAB_NAMESPACE, sel)) as { metadata: { name: string } }[];
    const svcs = (await port.listServices(LAB_NAMESPACE, sel)) as { metadata: { name: string } }[];
    const left = [...pods, ...svcs].map((o) => o.metadata.name);
    if (left.length === 0) return [];
    if (i === 19) return left;
    await new Promise((r) => setTimeout(r, 500));
  }
  return [];
}

describe('live probes on the lab', { skip: healthySkip ?? false, timeout: 240_000 }, () => {
  let run: ProbeRun | undefined;
  const runId = `live-${Date.now().toString(36)}`;
  const port = healthySkip ? undefined : labPort();

  it('runs every scenario from every node and cleans up', async (t) => {
    assert.ok(port);
    const cluster = await labCluster(port);
    const t0 = Date.now();
    run = await runProbes(port, cluster, {
      image: LAB_IMAGE,
      namespace: LAB_NAMESPACE,
      runId,
      externalTarget: LAB_EXTERNAL_TARGET,
      externalName: LAB_EXTERNAL_NAME,
    });
    t.diagnostic(
      `probe run: ${Date.now() - t0} ms wall, ${run.results.durationMs} ms recorded, ${run.results.results.length} results`,
    );
    assert.deepEqual(run.gaps, []);
    assert.deepEqual(await leftovers(port, runId), [], 'no owned pod or Service remains');
  });

  it('every probe meets its expectation, MTU included (iputils ping sets DF)', () => {
    assert.ok(run);
    const bad = run.results.results.filter((r) => {
      if (r.outcome.status === 'skipped') return r.scenario === 'mtu' || r.outcome.reason === NO_DF_PING;
      return r.expect === 'pass' ? r.outcome.status !== 'pass' : r.outcome.status !== 'fail';
    });
    assert.deepEqual(
      bad.map((r) => `${r.id}: ${JSON.stringify(r.outcome)}`),
      [],
    );
    const scenarios = new Set(
      run.results.results.filter((r) => r.outcome.status === 'pass').map((r) => r.scenario),
    );
    for (const s of [
      'pod-to-pod-icmp',
      'pod-to-pod-tcp',
      'dns-udp',
      'dns-tcp',
      'service-clusterip',
      'nodeport',
      'external',
      'mtu',
    ])
      assert.ok(scenarios.has(s as never), `${s} passed somewhere`);
  });

  it('the VXLAN captures saw packets to and from every peer node', () => {
    assert.ok(run && status?.nodes);
    for (const n of status.nodes) {
      const c = run.captures[n.name];
      assert.ok(c, `capture on ${n.name}`);
      for (const peer of status.nodes) {
        if (peer.name === n.name) continue;
        assert.ok((c.packetsByPeer[peer.nodeIp] ?? 0) > 0, `${n.name} saw VXLAN packets with ${peer.name}`);
      }
    }
  });
});

describe('SIGINT mid-run', { skip: down ?? false, timeout: 120_000 }, () => {
  it('leaves no probe pod or Service behind', async () => {
    const port = labPort();
    const runId = `sigint-${Date.now().toString(36)}`;
    const child = spawn(process.execPath, ['test/probe/probe-driver.ts', runId], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`driver never reached the client phase: ${out}`)),
        90_000,
      );
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('phase clients')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    // Objects exist now: servers, captures, the Service, clients being created.
    const before = (await port.listPods(LAB_NAMESPACE, ownedSelector(runId))) as unknown[];
    assert.ok(before.length > 0, 'probe pods existed when interrupted');
    child.kill('SIGINT');
    assert.equal(await exited, 130);
    assert.deepEqual(await leftovers(port, runId), []);
  });
});
