/**
 * fix-overlay-mtu run for real against the kernel: three network namespaces stand for the
 * recorded overlay-mtu-mismatch example's nodes, joined through a bridge "switch" that drops
 * VXLAN packets longer than 1400 bytes to and from ndlab-node2 (as the lab fault does), each
 * with flannel's flannel.1 (VNI 1, port 8472, static FDB and neighbour entries), cni0 and pod
 * namespaces with veths. The step's own scripts measure the path, set the MTUs and read them
 * back, wrapped as the node-command pod wraps them.
 *
 * Two things cannot run here and are stood in for, as narrowly as possible: the Kubernetes API
 * (an in-memory port holding the flannel ConfigMap and DaemonSet, whose rollout completes at
 * once) and flanneld itself, whose one relevant behaviour (flannel v0.28
 * pkg/subnet/subnet.go WriteSubnetFile, pkg/backend/vxlan/vxlan_network.go MTU()) is applied
 * when the DaemonSet is restarted: subnet.env's FLANNEL_MTU becomes Backend.MTU - 50. A
 * process named flanneld lives in each node namespace with the node's /run/flannel, so the
 * check script finds subnet.env the way it does on a node. Needs root; skipped otherwise.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { analyze } from '../../src/analyze/engine.ts';
import type { RepairPort } from '../../src/cluster/port.ts';
import { readBundle } from '../../src/collect/bundle/read.ts';
import { NetdoctorError } from '../../src/core/errors.ts';
import type { Snapshot } from '../../src/core/model.ts';
import { EXAMPLES_DIR } from '../../src/examples/catalog.ts';
import { executePlan } from '../../src/remediate/executor.ts';
import { parseRunLog, wrapCommand } from '../../src/remediate/node-exec.ts';
import {
  measureScript,
  parseMeasure,
  parseSet,
  setMtuScript,
  vxlanBackend,
  withBackendMtu,
} from '../../src/remediate/overlay-mtu.ts';
import { type Plan, planRepairs } from '../../src/remediate/planner.ts';
import {
  DEFAULT_OPTIONS,
  type NodeRun,
  type NodeRunner,
  type RepairExec,
  type StepPlan,
} from '../../src/remediate/step.ts';
import { fixOverlayMtu } from '../../src/remediate/steps/fix-overlay-mtu.ts';
import { canUseNetns, createNetns, destroyNetns, run, uniqueNetnsName } from '../support/netns.ts';
import { registered } from '../support/registered-step.ts';

const skip = canUseNetns() ? false : 'needs root and iproute2 to create network namespaces';

const NODES = [
  { name: 'ndlab-node1', i: 0, ip: '10.213.9.11' },
  { name: 'ndlab-node2', i: 1, ip: '10.213.9.12' },
  { name: 'ndlab-node3', i: 2, ip: '10.213.9.13' },
] as const;
const SHORT = NODES[1];

describe('overlay MTU scripts (pure)', () => {
  it('sets Backend.MTU in net-conf.json, replacing any spelling flannel would read', () => {
    const conf = '{"Network":"10.244.0.0/16","Backend":{"Type":"vxlan","mtu":1500}}\n';
    assert.equal(
      withBackendMtu(conf, 1400),
      '{"Network":"10.244.0.0/16","Backend":{"Type":"vxlan","MTU":1400}}\n',
    );
    assert.equal(withBackendMtu('{"Network":"10.244.0.0/16"}', 1400), undefined);
    assert.equal(withBackendMtu('not json', 1400), undefined);
    assert.deepEqual(vxlanBackend('{"Backend":{"type":"VXLAN","VNI":4,"MTU":1400}}'), {
      type: 'vxlan',
      device: 'flannel.4',
      mtu: 1400,
    });
    assert.equal(vxlanBackend('{"Network":"10.244.0.0/16"}')?.type, 'udp');
  });

  it('reads what a measuring and a setting run printed, a half-failed one too', () => {
    assert.deepEqual(parseMeasure('device 1450\npeer 10.244.2.0 max 1322\npeer 10.244.0.0 unreachable\n'), {
      deviceMtu: 1450,
      maxPayload: { '10.244.2.0': 1322 },
      unreachable: ['10.244.0.0'],
      error: undefined,
    });
    assert.deepEqual(
      parseSet('device flannel.1 1450\npod 10.244.1.5 1450 veth1 1450\nerror pod 10.244.1.6\n'),
      {
        device: { name: 'flannel.1', old: 1450 },
        bridge: undefined,
        pods: [{ ip: '10.244.1.5', podMtu: 1450, hostIf: 'veth1', hostMtu: 1450 }],
        errors: ['pod 10.244.1.6'],
      },
    );
  });
});

/** Runs node commands in the namespaces, wrapped as node-exec.ts wraps them for the pod. */
class NsRunner implements NodeRunner {
  readonly nsOf: Record<string, string>;
  constructor(nsOf: Record<string, string>) {
    this.nsOf = nsOf;
  }
  async run(node: string, argv: string[], opts: { hostMount: boolean }): Promise<NodeRun> {
    const ns = this.nsOf[node];
    if (!ns) throw new Error(`no namespace stands for ${node}`);
    assert.equal(opts.hostMount, false, 'the MTU step needs no host mount namespace');
    // The pod's own mount namespace, where `ip netns attach` names the node privately: here a
    // private tmpfs on /run/netns keeps the name out of this machine's namespace list.
    const r = spawnSync(
      'ip',
      [
        'netns',
        'exec',
        ns,
        'unshare',
        '-m',
        '--propagation',
        'private',
        'sh',
        '-c',
        'mount -t tmpfs tmpfs /run/netns && exec "$@"',
        'sh',
        ...wrapCommand(argv, false),
      ],
      { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
    );
    if (r.error) throw r.error;
    return parseRunLog(r.stdout);
  }
}

interface Lab {
  nsOf: Record<string, string>;
  pods: Record<string, string>;
  flannelDirs: Record<string, string>;
  procs: ChildProcess[];
  tmp: string;
}

function mtuOf(ns: string, dev: string): number {
  const m = / mtu (\d+) /.exec(run(['ip', '-n', ns, '-o', 'link', 'show', 'dev', dev]));
  return Number(m?.[1]);
}

/** A process that stays in `ns` (with argv) until killed; its pid is what the scripts find in /proc. */
function sleeper(argv: string[]): ChildProcess {
  const p = spawn('ip', ['netns', 'exec', ...argv], { stdio: 'ignore' });
  p.on('error', () => undefined);
  // Killed in destroyLab; never what keeps the test process alive.
  p.unref();
  return p;
}

/** Fills `lab` as it goes, so a failure half-way still leaves destroyLab everything to remove. */
function buildLab(lab: Lab): void {
  const tmp = lab.tmp;
  copyFileSync('/bin/sleep', join(tmp, 'flanneld'));
  const sw = createNetns(uniqueNetnsName('mtu-sw'));
  lab.nsOf['switch'] = sw;
  run(['ip', '-n', sw, 'link', 'add', 'br0', 'type', 'bridge']);
  run(['ip', '-n', sw, 'link', 'set', 'br0', 'up']);
  const mac = (i: number) => `02:00:00:00:0${i}:00`;
  for (const n of NODES) {
    const ns = createNetns(uniqueNetnsName(`mtu-n${n.i}`));
    lab.nsOf[n.name] = ns;
    const ip = (...a: string[]) => run(['ip', '-n', ns, ...a]);
    run(['ip', '-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', `p${n.i}`, 'netns', sw]);
    run(['ip', '-n', sw, 'link', 'set', `p${n.i}`, 'master', 'br0', 'up']);
    ip('addr', 'add', `${n.ip}/24`, 'dev', 'eth0');
    ip('link', 'set', 'eth0', 'up');
    ip(
      'link',
      'add',
      'flannel.1',
      'type',
      'vxlan',
      'id',
      '1',
      'local',
      n.ip,
      'dev',
      'eth0',
      'dstport',
      '8472',
      'nolearning',
    );
    ip('link', 'set', 'flannel.1', 'mtu', '1450', 'address', mac(n.i), 'up');
    ip('addr', 'add', `10.244.${n.i}.0/32`, 'dev', 'flannel.1');
    ip('link', 'add', 'cni0', 'type', 'bridge');
    ip('link', 'set', 'cni0', 'mtu', '1450', 'up');
    ip('addr', 'add', `10.244.${n.i}.1/24`, 'dev', 'cni0');
    run(['ip', 'netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
    // flanneld's stand-in: a process named flanneld whose /run/flannel is the node's.
    const dir = join(tmp, `run-flannel-${n.i}`);
    mkdirSync(dir);
    writeFileSync(
      join(dir, 'subnet.env'),
      `FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.${n.i}.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=true\n`,
    );
    lab.flannelDirs[n.name] = dir;
    lab.procs.push(
      sleeper([
        ns,
        'unshare',
        '-m',
        '--propagation',
        'private',
        'sh',
        '-c',
        // A private /run, so the mount point exists on any machine and the host's /run is untouched.
        `mount -t tmpfs ndt-run /run && mkdir /run/flannel && mount --bind ${dir} /run/flannel && exec ${join(tmp, 'flanneld')} 600`,
      ]),
    );
  }
  for (const a of NODES)
    for (const b of NODES) {
      if (a === b) continue;
      const ns = lab.nsOf[a.name] as string;
      run([
        'ip',
        '-n',
        ns,
        'route',
        'add',
        `10.244.${b.i}.0/24`,
        'via',
        `10.244.${b.i}.0`,
        'dev',
        'flannel.1',
        'onlink',
      ]);
      run([
        'ip',
        '-n',
        ns,
        'neigh',
        'add',
        `10.244.${b.i}.0`,
        'lladdr',
        mac(b.i),
        'dev',
        'flannel.1',
        'nud',
        'permanent',
      ]);
      run(['ip', 'netns', 'exec', ns, 'bridge', 'fdb', 'append', mac(b.i), 'dev', 'flannel.1', 'dst', b.ip]);
    }
  // The lab fault: the switch drops encapsulated packets over 1400 bytes to and from node2.
  run(
    ['ip', 'netns', 'exec', sw, 'nft', '-f', '-'],
    `table bridge ndt_mtu {
  chain forward {
    type filter hook forward priority 0;
    ip saddr ${SHORT.ip} udp dport 8472 ip length > 1400 drop
    ip daddr ${SHORT.ip} udp dport 8472 ip length > 1400 drop
  }
}
`,
  );
  // Two pods on node2, one on node1, with the MTU flannel gave them (1450).
  for (const [pod, node, addr] of [
    ['a', NODES[1], '10.244.1.5'],
    ['b', NODES[1], '10.244.1.6'],
    ['c', NODES[0], '10.244.0.5'],
  ] as const) {
    const ns = createNetns(uniqueNetnsName(`mtu-pod${pod}`));
    const host = lab.nsOf[node.name] as string;
    lab.pods[pod] = ns;
    run([
      'ip',
      'link',
      'add',
      'eth0',
      'netns',
      ns,
      'mtu',
      '1450',
      'type',
      'veth',
      'peer',
      'name',
      `veth${pod}`,
      'netns',
      host,
      'mtu',
      '1450',
    ]);
    run(['ip', '-n', host, 'link', 'set', `veth${pod}`, 'master', 'cni0', 'up']);
    run(['ip', '-n', ns, 'addr', 'add', `${addr}/24`, 'dev', 'eth0']);
    run(['ip', '-n', ns, 'link', 'set', 'eth0', 'up']);
    lab.procs.push(sleeper([ns, 'sleep', '600']));
  }
}

function destroyLab(lab: Lab): void {
  for (const p of lab.procs) if (p.pid !== undefined) p.kill('SIGKILL');
  for (const ns of [...Object.values(lab.pods), ...Object.values(lab.nsOf)]) destroyNetns(ns);
  if (lab.tmp) rmSync(lab.tmp, { recursive: true, force: true });
}

/**
 * The API for the step: the flannel ConfigMap and DaemonSet from the example bundle, kept in
 * memory. A restart of the DaemonSet does what flanneld does on start: FLANNEL_MTU = MTU - 50.
 */
function memoryPort(snapshot: Snapshot, lab: Lab): RepairPort & { netConf(): string; restarts: number } {
  const cm = structuredClone(snapshot.cluster.configMaps.find((c) => c.metadata.name === 'kube-flannel-cfg'));
  const ds = structuredClone(
    snapshot.cluster.daemonSets.find((d) => d.metadata.name === 'kube-flannel-ds'),
  ) as Record<string, unknown> | undefined;
  assert.ok(cm && ds);
  const state = { restarts: 0 };
  const restartFlannel = () => {
    const mtu = vxlanBackend(cm.data?.['net-conf.json'] ?? '')?.mtu;
    for (const [node, dir] of Object.entries(lab.flannelDirs)) {
      const i = NODES.find((n) => n.name === node)?.i;
      writeFileSync(
        join(dir, 'subnet.env'),
        `FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.${i}.1/24\nFLANNEL_MTU=${mtu === undefined ? 1450 : mtu - 50}\nFLANNEL_IPMASQ=true\n`,
      );
    }
    state.restarts += 1;
  };
  const merge = (target: Record<string, unknown>, patch: Record<string, unknown>) => {
    for (const [k, v] of Object.entries(patch)) {
      if (v === null) delete target[k];
      else if (typeof v === 'object' && !Array.isArray(v)) {
        if (typeof target[k] !== 'object' || target[k] === null) target[k] = {};
        merge(target[k] as Record<string, unknown>, v as Record<string, unknown>);
      } else target[k] = v;
    }
  };
  const port = new Proxy({} as RepairPort & { netConf(): string; restarts: number }, {
    get(_t, prop) {
      switch (prop) {
        case 'netConf':
          return () => cm.data?.['net-conf.json'];
        case 'restarts':
          return state.restarts;
        case 'readObject':
          return async (kind: string) =>
            structuredClone(kind === 'ConfigMap' ? cm : kind === 'DaemonSet' ? ds : undefined);
        case 'patchObject':
          return async (kind: string, _ns: string, _name: string, patch: Record<string, unknown>) => {
            if (kind === 'ConfigMap') merge(cm as unknown as Record<string, unknown>, patch);
            else if (kind === 'DaemonSet') {
              merge(ds, patch);
              restartFlannel();
            } else throw new Error(`unexpected patch of ${kind}`);
            return {};
          };
        default:
          return () => Promise.reject(new Error(`unexpected Kubernetes API call ${String(prop)}`));
      }
    },
  });
  return port;
}

async function planned(): Promise<{ plan: Plan; step: StepPlan; snapshot: Snapshot }> {
  const snapshot = await readBundle(join(EXAMPLES_DIR, 'overlay-mtu-mismatch'));
  const plan = planRepairs({ report: analyze(snapshot), snapshot, options: DEFAULT_OPTIONS });
  const step = plan.steps[0];
  assert.ok(step && step.step === 'fix-overlay-mtu', JSON.stringify(plan.skipped));
  return { plan, step, snapshot };
}

describe('fix-overlay-mtu against real namespaces', { skip }, () => {
  const lab: Lab = { nsOf: {}, pods: {}, flannelDirs: {}, procs: [], tmp: '' };
  before(() => {
    lab.tmp = mkdtempSync(join(tmpdir(), 'ndt-mtu-'));
    buildLab(lab);
  });
  after(() => destroyLab(lab));

  const exec = (port: RepairPort, verifyTimeoutMs: number): RepairExec => ({
    port,
    nodes: new NsRunner(lab.nsOf),
    verifyTimeoutMs,
    pollMs: 300,
    log: () => undefined,
  });
  const allMtus = () => ({
    devices: NODES.map((n) => mtuOf(lab.nsOf[n.name] as string, 'flannel.1')),
    bridges: NODES.map((n) => mtuOf(lab.nsOf[n.name] as string, 'cni0')),
    pods: Object.values(lab.pods).map((ns) => mtuOf(ns, 'eth0')),
    veths: ['a', 'b'].map((p) => mtuOf(lab.nsOf[SHORT.name] as string, `veth${p}`)),
  });

  it('the measuring script finds what the short path carries: 1400 on the wire, 1350 in the overlay', async () => {
    const r = await new NsRunner(lab.nsOf).run(
      SHORT.name,
      ['sh', '-c', measureScript('flannel.1', ['10.244.0.0', '10.244.2.0'])],
      {
        hostMount: false,
      },
    );
    assert.equal(r.exitCode, 0, r.stdout);
    const m = parseMeasure(r.stdout);
    assert.equal(m.deviceMtu, 1450);
    assert.deepEqual(m.maxPayload, { '10.244.0.0': 1322, '10.244.2.0': 1322 });
    // Between the two other nodes the path is whole: the search is capped by flannel.1 only.
    const other = parseMeasure(
      (
        await new NsRunner(lab.nsOf).run(
          'ndlab-node1',
          ['sh', '-c', measureScript('flannel.1', ['10.244.2.0'])],
          { hostMount: false },
        )
      ).stdout,
    );
    assert.deepEqual(other.maxPayload, { '10.244.2.0': 1422 });
  });

  it('plans, applies, verifies and rolls back: ConfigMap, flannel.1, cni0 and pods on every node', async () => {
    const { step, snapshot } = await planned();
    const port = memoryPort(snapshot, lab);
    const before = allMtus();
    const x = exec(port, 20_000);
    for (const c of registered(fixOverlayMtu).preconditions(step))
      assert.deepEqual(await c.run(x), { status: 'ok' }, c.what);
    const record = await registered(fixOverlayMtu).apply(x, step);
    assert.equal(record.status, 'applied');
    assert.equal(record.facts['overlayMtu'], 1350);
    assert.equal(record.facts['underlayMtu'], 1400);
    assert.equal(vxlanBackend(port.netConf())?.mtu, 1400);
    assert.deepEqual(allMtus(), {
      devices: [1350, 1350, 1350],
      bridges: [1350, 1350, 1350],
      pods: [1350, 1350, 1350],
      veths: [1350, 1350],
    });
    const v = await registered(fixOverlayMtu).verify(x, record, step);
    assert.equal(v.status, 'verified', JSON.stringify(v));

    const rb = await registered(fixOverlayMtu).rollback(x, record);
    assert.equal(rb.status, 'rolled-back', JSON.stringify(rb));
    assert.deepEqual(allMtus(), before);
    assert.equal(vxlanBackend(port.netConf())?.mtu, undefined);
    // flannel restarted last, from the restored ConfigMap.
    assert.match(
      readFileSync(join(lab.flannelDirs[SHORT.name] as string, 'subnet.env'), 'utf8'),
      /FLANNEL_MTU=1450/,
    );
    assert.equal(port.restarts, 2);
  });

  it('restores a pod interface set by hand from what a run printed', async () => {
    const ns = lab.nsOf[SHORT.name] as string;
    const runner = new NsRunner(lab.nsOf);
    const set = await runner.run(
      SHORT.name,
      ['sh', '-c', setMtuScript('flannel.1', { kind: 'set', mtu: 1300 })],
      {
        hostMount: false,
      },
    );
    const change = parseSet(set.stdout);
    assert.deepEqual(
      change.pods.map((p) => [p.ip, p.podMtu, p.hostIf, p.hostMtu]),
      [
        ['10.244.1.5', 1450, 'vetha', 1450],
        ['10.244.1.6', 1450, 'vethb', 1450],
      ],
    );
    // node1's pod is not node2's, whatever its address or interface index.
    assert.equal(mtuOf(lab.pods['c'] as string, 'eth0'), 1450);
    await runner.run(SHORT.name, ['sh', '-c', setMtuScript('flannel.1', { kind: 'restore', change })], {
      hostMount: false,
    });
    assert.equal(mtuOf(ns, 'flannel.1'), 1450);
    assert.equal(mtuOf(lab.pods['a'] as string, 'eth0'), 1450);
    assert.equal(mtuOf(ns, 'vethb'), 1450);
  });

  it('a verification that fails rolls everything back and stops the run with exit 4', async () => {
    const { plan, snapshot } = await planned();
    const port = memoryPort(snapshot, lab);
    const before = allMtus();
    // A pod on node3 that keeps 1450 after the change (created before flannel restarted and
    // missed): verify must see the cni0 port above the MTU and fail.
    const late = createNetns(uniqueNetnsName('mtu-podlate'));
    const host = lab.nsOf['ndlab-node3'] as string;
    try {
      const out = join(lab.tmp, 'bundle');
      mkdirSync(out);
      const bump = setInterval(() => {
        try {
          run(['ip', '-n', host, 'link', 'show', 'vethlate']);
        } catch {
          if (mtuOf(host, 'flannel.1') === 1350) {
            run([
              'ip',
              'link',
              'add',
              'eth0',
              'netns',
              late,
              'mtu',
              '1450',
              'type',
              'veth',
              'peer',
              'name',
              'vethlate',
              'netns',
              host,
              'mtu',
              '1450',
            ]);
            run(['ip', '-n', host, 'link', 'set', 'vethlate', 'master', 'cni0', 'up']);
          }
        }
      }, 50);
      try {
        await assert.rejects(
          executePlan(plan, exec(port, 1_500), {
            dryRun: false,
            nonInteractive: true,
            bundleDir: out,
            out: () => undefined,
          }),
          (err: unknown) =>
            err instanceof NetdoctorError &&
            err.exitCode === 4 &&
            /fix-overlay-mtu did not fix what it claims \(ndlab-node3: 1 cni0 port\(s\) above mtu 1350\); rolled back/.test(
              err.message,
            ),
        );
      } finally {
        clearInterval(bump);
      }
      const now = allMtus();
      assert.deepEqual({ ...now, bridges: [] }, { ...before, bridges: [] });
      assert.equal(vxlanBackend(port.netConf())?.mtu, undefined);
    } finally {
      destroyNetns(late);
    }
  });
});
