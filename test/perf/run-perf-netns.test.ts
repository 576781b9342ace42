/**
 * runPerf end to end with its pods run as processes in network namespaces: each namespace is a
 * "node" (its underlay address on a veth, a VXLAN device over it standing for the pod network),
 * and a small ClusterPort starts every pod's own command there, with the pod's environment, and
 * serves its phase and log the way the API does. No cluster can run in phase 1, so this stand-in
 * is what checks the orchestration (servers before clients, UDP rates from TCP results, error
 * rows for a node whose pods cannot start, every pod deleted); test/live/perf.test.ts runs the
 * same code against the lab. Needs root and iperf3.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import type { ClusterPort, ListKind, LogRequest } from '../../src/cluster/port.ts';
import { pendingCleanups, runCleanups } from '../../src/core/cleanup.ts';
import { type PlanNode, planPerf } from '../../src/perf/plan.ts';
import { runPerf } from '../../src/perf/run-perf.ts';
import { nodeName } from '../../src/perf/types.ts';
import { addVxlan, canUseNetns, joinNetns, withNetns } from '../support/netns.ts';

const hasIperf3 = spawnSync('iperf3', ['--version']).status === 0;
const skip = !canUseNetns()
  ? 'needs root and iproute2 to create network namespaces'
  : !hasIperf3
    ? 'needs iperf3 on the host'
    : false;

interface FakeNode {
  netns: string;
  internalIp: string;
  overlayIp: string;
  /** Pods here never start: the kubelet reports the image as unpullable. */
  brokenImage?: boolean;
}

interface FakePod {
  manifest: PodManifest;
  phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed';
  log: string;
  child?: ChildProcess;
  podIP?: string;
}

interface PodManifest {
  metadata: { name: string; labels: Record<string, string> };
  spec: {
    nodeName: string;
    hostNetwork?: boolean;
    containers: { command: string[]; env?: { name: string; value: string }[] }[];
  };
}

function isManifest(v: object): v is PodManifest {
  return 'metadata' in v && 'spec' in v;
}

/** Pods as processes in the node's namespace; everything else a perf run does not call throws. */
class NetnsPodPort implements ClusterPort {
  readonly target = { server: 'netns://perf-test' };
  readonly pods = new Map<string, FakePod>();
  readonly created: string[] = [];
  readonly #nodes: Record<string, FakeNode>;

  constructor(nodes: Record<string, FakeNode>) {
    this.#nodes = nodes;
  }
  async serverVersion(): Promise<string> {
    return 'v1.30.0';
  }
  async list(kind: ListKind): Promise<unknown[]> {
    if (kind === 'events') return [];
    throw new Error(`list ${kind} is not part of a perf run`);
  }
  async podLog(req: LogRequest): Promise<string> {
    const p = this.pods.get(req.pod);
    if (!p) throw Object.assign(new Error('not found'), { code: 404 });
    return p.log;
  }
  async createPod(_namespace: string, pod: object): Promise<void> {
    if (!isManifest(pod)) throw new Error('not a pod');
    const name = pod.metadata.name;
    if (this.pods.has(name)) throw Object.assign(new Error('exists'), { code: 409 });
    this.created.push(name);
    const node = this.#nodes[pod.spec.nodeName];
    if (!node) throw new Error(`no node ${pod.spec.nodeName}`);
    const fake: FakePod = { manifest: pod, phase: 'Pending', log: '' };
    this.pods.set(name, fake);
    if (node.brokenImage) return;
    const [container] = pod.spec.containers;
    if (!container) throw new Error('no container');
    // The API server undoes literalCommand's `$$` the way the kubelet would.
    const argv = container.command.map((a) => a.replaceAll('$$', '$'));
    const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' };
    for (const e of container.env ?? []) env[e.name] = e.value;
    // busybox sh when the host has it: the images' sh is busybox ash.
    const shell = spawnSync('busybox', ['true']).status === 0 && argv[0] === 'sh' ? ['busybox'] : [];
    const child = spawn('ip', ['netns', 'exec', node.netns, ...shell, ...argv], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    fake.child = child;
    fake.phase = 'Running';
    fake.podIP = pod.spec.hostNetwork ? node.internalIp : node.overlayIp;
    const append = (b: Buffer) => {
      fake.log += b.toString();
    };
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
    child.on('exit', (code) => {
      if (fake.phase === 'Running') fake.phase = code === 0 ? 'Succeeded' : 'Failed';
    });
  }
  async readPod(_namespace: string, name: string): Promise<unknown | undefined> {
    const p = this.pods.get(name);
    if (!p) return undefined;
    const node = this.#nodes[p.manifest.spec.nodeName];
    return {
      metadata: p.manifest.metadata,
      spec: p.manifest.spec,
      status: {
        phase: p.phase,
        ...(p.podIP ? { podIP: p.podIP } : {}),
        ...(node?.brokenImage
          ? {
              containerStatuses: [
                {
                  state: {
                    waiting: { reason: 'ErrImagePull', message: 'pull access denied for test-image' },
                  },
                },
              ],
            }
          : {}),
      },
    };
  }
  async listPods(_namespace: string | undefined, labelSelector: string): Promise<unknown[]> {
    const want = labelSelector.split(',').map((kv) => kv.split('=') as [string, string]);
    return [...this.pods.values()]
      .filter((p) => want.every(([k, v]) => p.manifest.metadata.labels[k] === v))
      .map((p) => ({ metadata: p.manifest.metadata }));
  }
  async deletePod(_namespace: string, name: string): Promise<void> {
    const p = this.pods.get(name);
    p?.child?.kill('SIGKILL');
    this.pods.delete(name);
  }
  async createService(): Promise<unknown> {
    throw new Error('perf creates no Service');
  }
  async listServices(): Promise<unknown[]> {
    return [];
  }
  async deleteService(): Promise<void> {}
}

/** Two namespaces joined by a veth, with VXLAN over it: the nodes' underlay and pod network. */
function wire(a: string, b: string): void {
  const [devA, devB] = joinNetns(a, b, '10.250.9.1', '10.250.9.2');
  addVxlan(a, {
    name: 'ndvx0',
    id: 78,
    local: '10.250.9.1',
    remote: '10.250.9.2',
    dev: devA,
    addr: '10.249.9.1',
  });
  addVxlan(b, {
    name: 'ndvx0',
    id: 78,
    local: '10.250.9.2',
    remote: '10.250.9.1',
    dev: devB,
    addr: '10.249.9.2',
  });
}

describe('runPerf with pods as processes in network namespaces', { skip, timeout: 300_000 }, () => {
  it('measures the good pair, turns the node whose pods cannot start into error rows, deletes every pod', async () => {
    await withNetns(['rp-a', 'rp-b', 'rp-c'], async (names) => {
      const [a, b, c] = names as [string, string, string];
      wire(a, b);
      const port = new NetnsPodPort({
        'node-a': { netns: a, internalIp: '10.250.9.1', overlayIp: '10.249.9.1' },
        'node-b': { netns: b, internalIp: '10.250.9.2', overlayIp: '10.249.9.2' },
        'node-c': { netns: c, internalIp: '10.250.9.3', overlayIp: '10.249.9.3', brokenImage: true },
      });
      const nodes: PlanNode[] = ['node-a', 'node-b', 'node-c'].map((n, i) => ({
        name: nodeName(n),
        ready: true,
        internalIp: `10.250.9.${i + 1}`,
      }));
      const planned = planPerf(nodes, { kind: 'all-pairs', limit: 2 }, 1);
      assert.ok(planned.ok);
      assert.deepEqual(
        planned.plan.pairs.map((p) => `${p.from}-${p.to}`),
        ['node-a-node-b', 'node-b-node-c'],
      );
      const lines: string[] = [];
      const report = await runPerf(port, planned.plan, nodes, {
        image: 'test-image',
        namespace: 'perf-test',
        runId: 'rp1',
        timeoutMs: 240_000,
        pollMs: 100,
        onProgress: (m) => lines.push(m),
      });

      const [good, broken] = report.pairs;
      assert.ok(good && broken);
      assert.deepEqual(
        good.tests
          .filter((t) => t.outcome.status !== 'ok')
          .map((t) => `${t.id}: ${JSON.stringify(t.outcome)}`),
        [],
      );
      for (const d of good.summary) {
        assert.ok((d.podMbps ?? 0) > 0 && (d.hostMbps ?? 0) > 0);
        assert.equal(d.overlayCost.status, 'measured');
      }
      const udp = good.tests.find((t) => t.id === 'pod-udp-forward');
      const tcp = good.tests.find((t) => t.id === 'pod-tcp-forward');
      assert.ok(udp?.outcome.status === 'ok' && udp.outcome.figures.protocol === 'udp');
      assert.ok(tcp?.outcome.status === 'ok');
      assert.equal(
        udp.outcome.figures.targetMbps,
        Math.min(100, Math.max(1, Math.round(tcp.outcome.figures.mbps / 2))),
      );

      assert.equal(broken.tests.length, 8);
      for (const t of broken.tests) {
        assert.equal(t.outcome.status, 'error', t.id);
        assert.match(
          t.outcome.status === 'error' ? t.outcome.error : '',
          /^no iperf3 server on node-c \((pod|host) network\): iperf3 server pod nd-perf-rp1-srv-(pod|host)-1: cannot start: ErrImagePull/,
        );
      }
      assert.equal(report.complete, false);
      assert.ok(lines.some((l) => l.includes('node-a <-> node-b: pod network, TCP')));
      assert.equal(port.pods.size, 0, `left: ${[...port.pods.keys()].join(', ')}`);
      assert.ok(port.created.length >= 4 + 4, 'four servers and four clients were created');
      assert.deepEqual(pendingCleanups(), []);
    });
  });

  it('Ctrl-C mid-run: the registered cleanup deletes every pod, and the run creates none after it', async () => {
    await withNetns(['rp-e', 'rp-f'], async (names) => {
      const [a, b] = names as [string, string];
      wire(a, b);
      const port = new NetnsPodPort({
        'node-a': { netns: a, internalIp: '10.250.9.1', overlayIp: '10.249.9.1' },
        'node-b': { netns: b, internalIp: '10.250.9.2', overlayIp: '10.249.9.2' },
      });
      const nodes: PlanNode[] = [
        { name: nodeName('node-a'), ready: true, internalIp: '10.250.9.1' },
        { name: nodeName('node-b'), ready: true, internalIp: '10.250.9.2' },
      ];
      const planned = planPerf(nodes, { kind: 'pair', from: 'node-a', to: 'node-b' }, 2);
      assert.ok(planned.ok);
      const run = runPerf(port, planned.plan, nodes, {
        image: 'test-image',
        namespace: 'perf-test',
        runId: 'rp2',
        timeoutMs: 240_000,
        pollMs: 100,
      });
      const deadline = Date.now() + 60_000;
      while (![...port.pods.keys()].some((n) => n.includes('-cli-')) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      assert.ok(
        [...port.pods.keys()].some((n) => n.includes('-cli-')),
        'a client pod ran',
      );
      // What the SIGINT handler does (core/cleanup.ts installSignalCleanup).
      await runCleanups();
      assert.equal(port.pods.size, 0, `left: ${[...port.pods.keys()].join(', ')}`);
      const createdAtInterrupt = port.created.length;
      const report = await run;
      assert.equal(port.created.length, createdAtInterrupt, 'no pod created after the cleanup');
      assert.equal(port.pods.size, 0);
      assert.equal(report.complete, false);
      assert.ok(
        report.pairs[0]?.tests.some(
          (t) => t.outcome.status === 'error' && t.outcome.error.includes('the run was interrupted'),
        ),
        JSON.stringify(report.pairs[0]?.tests.map((t) => t.outcome)),
      );
    });
  });
});
