/**
 * netdoctor's own image and its agent DaemonSet on the real lab. The image is built from this
 * checkout (`lab/images.sh netdoctor`, what `make image` runs) and loaded into every node's
 * containerd (`lab load-image`); the DaemonSet runs `netdoctor agent` on every node, the
 * agents finding each other through the cluster's DNS (a headless Service). Every agent must read its node (flannel's peer routes and MTU as facts,
 * nothing left uncollected), reach every peer over ICMP and TCP, get answers from cluster DNS
 * (UDP and TCP) and the API server by ClusterIP and at every endpoint, and report no problem on
 * the healthy lab. `lab break ip-forward-disabled` must show up in that node's agent summary and
 * go away after `heal`; the times it took, and every agent's peak RSS and CPU, are printed.
 * Skipped, with the reason, when the lab is not running.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AGENT_NAME, AGENT_PORT, agentManifests } from '../../src/agent/agent-manifests.ts';
import type { AgentSummary } from '../../src/agent/agent-summary.ts';
import {
  buildAndLoadNetdoctorImage,
  kubectl,
  type LabInfo,
  labFault,
  labHealAndSettle,
  labOrSkipReason,
  NETDOCTOR_VERSION,
  tryOnNode,
  until,
} from './live-lab.ts';

const status = labOrSkipReason();
const skip = 'skip' in status ? status.skip : false;
const lab = ('lab' in status ? status.lab : undefined) as LabInfo;
const NS = `ndt-agent-live-${process.pid}`;
const INTERVAL_S = 5;
const IMAGE = `netdoctor.lab/netdoctor:${NETDOCTOR_VERSION}`;

/** The agent's summary as `from` (a node's network) fetches it from `to`'s agent. */
function summaryOf(fromPid: number, toIp: string): AgentSummary | undefined {
  const r = tryOnNode(fromPid, `curl -sf -m 3 http://${toIp}:${AGENT_PORT}/api/summary`);
  if (r.code !== 0) return undefined;
  return JSON.parse(r.stdout) as AgentSummary;
}

/** The agent processes on this machine (every lab node's pods run here), by pid. */
function agentPids(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return /dist\/cli\/main\.js\0agent\0/.test(readFileSync(`/proc/${d}/cmdline`, 'utf8'));
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** Peak RSS (MB) and CPU seconds of a process. */
function usage(pid: number): { peakMb: number; cpuS: number; startedS: number } {
  const st = readFileSync(`/proc/${pid}/status`, 'utf8');
  const hwm = Number(/VmHWM:\s+(\d+)/.exec(st)?.[1] ?? 0) / 1024;
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  const hz = 100;
  return { peakMb: hwm, cpuS: (Number(f[11]) + Number(f[12])) / hz, startedS: Number(f[19]) / hz };
}

describe('netdoctor image and agent DaemonSet (live lab)', { skip, timeout: 900_000 }, () => {
  const work = mkdtempSync(join(tmpdir(), 'ndt-agent-image-'));
  before(() => {
    buildAndLoadNetdoctorImage(work);
    assert.ok(kubectl(lab, ['create', 'namespace', NS]).ok);
    const objects = agentManifests({
      namespace: NS,
      image: IMAGE,
      imagePullPolicy: 'Never',
      intervalSeconds: INTERVAL_S,
      k: 2,
    });
    const applied = kubectl(
      lab,
      ['apply', '-f', '-'],
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }),
    );
    assert.ok(applied.ok, applied.err);
    const rolled = kubectl(lab, ['-n', NS, 'rollout', 'status', `daemonset/${AGENT_NAME}`, '--timeout=180s']);
    assert.ok(rolled.ok, `${rolled.out}${rolled.err}`);
  });
  after(async () => {
    kubectl(lab, ['delete', 'namespace', NS, '--wait=true', '--timeout=120s', '--ignore-not-found']);
    rmSync(work, { recursive: true, force: true });
  });

  it('every agent reads its node, reaches its peers and reports the healthy lab as healthy', async () => {
    const first = lab.nodes[0]!;
    const peers = lab.nodes.length - 1;
    // k = 2 peers a round: with 3 nodes one round covers every pair; wait for a full round.
    for (const n of lab.nodes) {
      let got: AgentSummary | undefined;
      // A round that started before every agent was in DNS, or listening, probes fewer peers or
      // knows them by address only: wait for a round that named every peer it probed.
      const names = new Set(lab.nodes.map((x) => x.name));
      const answered = (): boolean => {
        got = summaryOf(first.holderPid, n.nodeIp);
        return (
          got !== undefined &&
          got.probes.length === 2 * Math.min(2, peers) &&
          got.probes.every((p) => names.has(p.peer))
        );
      };
      assert.ok(
        await until(answered, 90_000, 1000),
        `no full round from the agent on ${n.name}: ${JSON.stringify(got)}`,
      );
      const s = got!;
      assert.equal(s.node, n.name);
      assert.deepEqual(s.notCollected, [], `${n.name}: ${s.notCollected.join(', ')}`);
      assert.ok(s.facts, `${n.name}: the node was not read`);
      assert.equal(s.facts.peerRoutes, peers, `${n.name}: ${JSON.stringify(s.facts)}`);
      // The device's MTU as the node has it now (an earlier suite's MTU fault may have moved it).
      // Through `ip`, not /sys: the holder's mount namespace shows the host's sysfs.
      const link = tryOnNode(n.holderPid, 'ip -o link show flannel.1').stdout;
      const mtu = Number(/\bmtu (\d+)/.exec(link)?.[1]);
      assert.ok(mtu > 0, `${n.name}: no MTU in ${JSON.stringify(link)}`);
      assert.equal(s.facts.mtu['flannel.1'], mtu, JSON.stringify(s.facts.mtu));
      const bad = s.probes.filter((p) => p.status !== 'ok');
      assert.deepEqual(bad, [], `${n.name}: ${JSON.stringify(bad)}`);
      assert.equal(s.probes.length, 2 * Math.min(2, peers));
      // Cluster DNS over UDP and TCP and the API server, each by ClusterIP and at every endpoint
      // the node's kube-proxy rules hold, all answered on the healthy lab.
      assert.deepEqual(s.servicesNotProbed, [], `${n.name}: ${JSON.stringify(s.servicesNotProbed)}`);
      const services = s.services ?? [];
      const seen = new Set(services.map((p) => `${p.service} ${p.via} ${p.kind}`));
      for (const want of [
        'kube-dns cluster-ip dns-udp',
        'kube-dns cluster-ip dns-tcp',
        'kube-dns endpoint dns-udp',
        'kube-dns endpoint dns-tcp',
        'kubernetes cluster-ip tls',
        'kubernetes endpoint tls',
      ])
        assert.ok(seen.has(want), `${n.name}: no ${want} probe in ${JSON.stringify(services)}`);
      const failing = services.filter((p) => p.status !== 'ok');
      assert.deepEqual(failing, [], `${n.name}: ${JSON.stringify(failing)}`);
      const problems = s.findings.filter((f) => f.severity !== 'info');
      assert.deepEqual(
        problems.map((f) => f.summary),
        [],
        `${n.name}`,
      );
    }
  });

  it('shows a node losing ip_forward within a few rounds, and its recovery after heal', async () => {
    const node = lab.nodes.at(-1)!;
    const viewer = lab.nodes[0]!;
    const has = () =>
      summaryOf(viewer.holderPid, node.nodeIp)?.findings.some(
        (f) => f.rule === 'node-ip-forward-disabled',
      ) === true;
    try {
      const broke = performance.now();
      labFault(['break', 'ip-forward-disabled', '--node', node.name]);
      assert.ok(await until(has, 120_000, 500), 'the agent never reported ip_forward off');
      const detectS = (performance.now() - broke) / 1000;
      const healed = performance.now();
      await labHealAndSettle(lab);
      assert.ok(await until(() => !has(), 120_000, 500), 'the finding stayed after heal');
      const recoverS = (performance.now() - healed) / 1000;
      console.log(
        `# agent: detect ${detectS.toFixed(1)} s, recover ${recoverS.toFixed(1)} s (interval ${INTERVAL_S} s)`,
      );
    } finally {
      tryOnNode(node.holderPid, 'sysctl -q -w net.ipv4.ip_forward=1');
    }
  });

  it('stays within its budget: peak RSS and average CPU per agent', () => {
    const pids = agentPids();
    assert.equal(pids.length, lab.nodes.length, `agent processes: ${pids.join(' ')}`);
    const uptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    for (const pid of pids) {
      const u = usage(pid);
      const cpuPct = (100 * u.cpuS) / Math.max(1, uptime - u.startedS);
      console.log(
        `# agent pid ${pid}: peak RSS ${u.peakMb.toFixed(0)} MB, CPU ${cpuPct.toFixed(2)}% of a core`,
      );
      // The budget: 100 MB an agent (76 to 77 MB measured on the lab).
      assert.ok(u.peakMb <= 100, `agent ${pid} peak RSS ${u.peakMb.toFixed(0)} MB, over the 100 MB budget`);
    }
  });
});
