/**
 * The iptables repair steps run for real: each recorded fault's node rules (examples/<fault>)
 * are loaded into network namespaces standing for the nodes, the plan is made from the same
 * bundle's diagnosis, and the steps' own commands apply, verify and roll back against the kernel
 * (test/support/netns-node-runner.ts), under this machine's sh and, when present, busybox sh
 * (the toolbox image's shell). Rollbacks must give back the rules exactly. For
 * vxlan-port-blocked the two nodes also get flannel's VXLAN overlay, so verify's ping crosses a
 * real VXLAN tunnel. Only the Kubernetes side of restarting flannel is in memory: no API server
 * runs here. Needs root; skipped otherwise.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { analyze } from '../../src/analyze/engine.ts';
import type { RepairPort } from '../../src/cluster/port.ts';
import { readBundle } from '../../src/collect/bundle/read.ts';
import { NetdoctorError } from '../../src/core/errors.ts';
import type { Snapshot } from '../../src/core/model.ts';
import { EXAMPLES_DIR } from '../../src/examples/catalog.ts';
import { executePlan } from '../../src/remediate/executor.ts';
import { type Plan, planRepairs } from '../../src/remediate/planner.ts';
import { DEFAULT_OPTIONS, type RepairStep, type StepPlan } from '../../src/remediate/step.ts';
import { alignIptablesBackend, restoreScript } from '../../src/remediate/steps/align-iptables-backend.ts';
import { allowOverlayPort } from '../../src/remediate/steps/allow-overlay-port.ts';
import { restoreMasquerade } from '../../src/remediate/steps/restore-masquerade.ts';
import { canUseNetns, createNetns, destroyNetns, nsExec, run, uniqueNetnsName } from '../support/netns.ts';
import {
  loadNodeRules,
  NetnsNodeRunner,
  netnsExec,
  noApiPort,
  rulesOf,
  SHELLS,
} from '../support/netns-node-runner.ts';
import { registered } from '../support/registered-step.ts';
import { scratchDir } from '../support/scratch-dir.ts';

const skip = canUseNetns() ? false : 'needs root and iproute2 to create network namespaces';

async function planned(fault: string, step: RepairStep): Promise<{ plan: Plan; snapshot: Snapshot }> {
  const snapshot = await readBundle(join(EXAMPLES_DIR, fault));
  const plan = planRepairs({
    report: analyze(snapshot),
    snapshot,
    options: { ...DEFAULT_OPTIONS, only: [step.id] },
  });
  assert.deepEqual(
    plan.steps.map((s) => s.step),
    [step.id],
  );
  return { plan, snapshot };
}

function only(plan: Plan): StepPlan {
  const s = plan.steps[0];
  assert.ok(s);
  return s;
}

async function auditOf(fixDir: string): Promise<Record<string, unknown>[]> {
  return (await readFile(join(fixDir, 'audit.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Two namespaces joined by a veth "underlay", each with flannel's flannel.1 VXLAN device. */
function flannelPair(a: string, b: string): void {
  const ends = [
    { ns: a, ip: '10.213.0.12', vtep: '10.244.1.0', mac: '02:00:00:00:01:00' },
    { ns: b, ip: '10.213.0.13', vtep: '10.244.2.0', mac: '02:00:00:00:02:00' },
  ] as const;
  run(['ip', '-n', a, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', b]);
  for (const e of ends) {
    const ip = (...args: string[]) => run(['ip', '-n', e.ns, ...args]);
    ip('addr', 'add', `${e.ip}/24`, 'dev', 'eth0');
    ip('link', 'set', 'eth0', 'up');
    // flannel's own settings for flannel.1 (VNI 1, port 8472, no learning).
    ip(
      'link',
      'add',
      'flannel.1',
      'address',
      e.mac,
      'type',
      'vxlan',
      'id',
      '1',
      'local',
      e.ip,
      'dev',
      'eth0',
      'dstport',
      '8472',
      'nolearning',
    );
  }
  for (const [self, peer] of [
    [ends[0], ends[1]],
    [ends[1], ends[0]],
  ] as const) {
    const ip = (...args: string[]) => run(['ip', '-n', self.ns, ...args]);
    ip('addr', 'add', `${self.vtep}/32`, 'dev', 'flannel.1');
    ip('link', 'set', 'flannel.1', 'up');
    ip('route', 'add', `${peer.vtep}/24`, 'via', peer.vtep, 'dev', 'flannel.1', 'onlink');
    ip('neigh', 'replace', peer.vtep, 'lladdr', peer.mac, 'dev', 'flannel.1', 'nud', 'permanent');
    run(['bridge', '-n', self.ns, 'fdb', 'append', peer.mac, 'dev', 'flannel.1', 'dst', peer.ip]);
  }
}

function pings(ns: string, ip: string): boolean {
  try {
    nsExec(ns, ['ping', '-c', '1', '-W', '1', ip]);
    return true;
  } catch {
    return false;
  }
}

/**
 * The Kubernetes side of a CNI agent restart, in memory: the agent pod on the node is replaced
 * by a new Ready one when deleted. (No API server runs here; the node side is real.)
 */
function agentPort(node: string): RepairPort & { deleted: string[] } {
  let gen = 0;
  const pod = () => ({
    metadata: {
      name: `kube-flannel-ds-${gen}`,
      namespace: 'kube-flannel',
      uid: `uid-${gen}`,
      ownerReferences: [{ kind: 'DaemonSet', name: 'kube-flannel-ds' }],
    },
    spec: { nodeName: node },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
  });
  const deleted: string[] = [];
  const impl = {
    deleted,
    listPods: async () => [pod()],
    readPod: async () => pod(),
    deletePod: async (_ns: string, name: string) => {
      deleted.push(name);
      gen++;
    },
  };
  return new Proxy(impl as unknown as RepairPort & { deleted: string[] }, {
    get(t, prop) {
      const v = Reflect.get(t, prop);
      if (v !== undefined) return v;
      return () => Promise.reject(new Error(`unexpected Kubernetes API call ${String(prop)}`));
    },
  });
}

describe('the rollback of align-iptables-backend carries the ruleset through a shell unchanged', () => {
  const tricky = [
    '# Generated by iptables-save v1.8.9 on Sun Nov 22 14:59:40 2026',
    '*filter',
    ':FORWARD DROP [2:168]',
    `-A FORWARD -m comment --comment "it's 100% \\"odd\\" \\\\047 caf\u00e9" -j ACCEPT`,
    'COMMIT',
    '',
  ].join('\n');
  for (const shell of SHELLS) {
    it(shell.name, () => {
      const script = restoreScript('legacy', tricky).replace(/ \| iptables-legacy-restore -w 5$/, '');
      assert.equal(run([...shell.prefix, 'sh', '-c', script]), tricky);
    });
  }
});

for (const shell of SHELLS) {
  describe(`allow-overlay-port on vxlan-port-blocked, in namespaces (${shell.name})`, { skip }, () => {
    const bundle = join(EXAMPLES_DIR, 'vxlan-port-blocked');
    let n2 = '';
    let n3 = '';
    before(() => {
      n2 = createNetns(uniqueNetnsName('ovl2'));
      n3 = createNetns(uniqueNetnsName('ovl3'));
      flannelPair(n2, n3);
      loadNodeRules(n2, bundle, 'ndlab-node2');
      loadNodeRules(n3, bundle, 'ndlab-node3');
    });
    after(() => {
      destroyNetns(n2);
      destroyNetns(n3);
    });
    const runner = () => new NetnsNodeRunner({ 'ndlab-node2': n2, 'ndlab-node3': n3 }, shell.prefix);

    it('the recorded rules cut the overlay: node2 cannot reach node3 over VXLAN', () => {
      assert.equal(pings(n2, '10.244.2.0'), false);
    });

    it('apply deletes exactly the planned rules (not one added since), verify fails on that one; rollback puts each back in place', async () => {
      const { plan } = await planned('vxlan-port-blocked', allowOverlayPort);
      const before = rulesOf(n2, 'nft');
      // A rule the diagnosis never saw, with a quoted comment, in the middle of INPUT: someone's
      // newer change, so the plan does not cover it.
      const added = [
        '-p',
        'udp',
        '--dport',
        '8472',
        '-m',
        'comment',
        '--comment',
        `it's "the firewall"`,
        '-j',
        'REJECT',
      ];
      nsExec(n2, ['iptables-nft', '-I', 'INPUT', '4', ...added]);
      const exec = netnsExec(runner(), noApiPort(), 1_000);
      const p = only(plan);
      const record = await registered(allowOverlayPort).apply(exec, p);
      assert.equal(record.status, 'applied');
      if (record.status !== 'applied') return;
      assert.equal(record.actions.length, 2);
      assert.deepEqual(record.facts['alreadyGone'], []);
      assert.match((record.facts['unplanned'] as string[]).join(), /the firewall/);
      const left = rulesOf(n2, 'nft', 'filter')
        .split('\n')
        .filter((l) => l.includes('--dport 8472'));
      assert.equal(left.length, 1);
      assert.match(left[0] ?? '', /the firewall.* -j REJECT/);
      const blocked = await registered(allowOverlayPort).verify(exec, record, p);
      assert.equal(blocked.status, 'failed', JSON.stringify(blocked));
      assert.match(
        blocked.status === 'failed' ? blocked.reason : '',
        /still dropping the overlay port: .*the firewall/,
      );

      nsExec(n2, ['iptables-nft', '-D', 'INPUT', ...added]);
      const v = await registered(allowOverlayPort).verify(exec, record, p);
      assert.equal(v.status, 'verified', JSON.stringify(v));
      assert.match(v.status === 'verified' ? v.detail : '', /overlay answers ndlab-node2 -> ndlab-node3/);

      const rb = await registered(allowOverlayPort).rollback(exec, record);
      assert.equal(rb.status, 'rolled-back', JSON.stringify(rb));
      assert.equal(rulesOf(n2, 'nft'), before);
      assert.equal(pings(n2, '10.244.2.0'), false);
    });

    it('the executor repairs it end to end, with the deletions in the audit log', async () => {
      const { plan } = await planned('vxlan-port-blocked', allowOverlayPort);
      const dir = await scratchDir('nd-fix-');
      const r = await executePlan(plan, netnsExec(runner(), noApiPort()), {
        dryRun: false,
        nonInteractive: true,
        bundleDir: dir,
        out: () => undefined,
      });
      assert.equal(r.status, 'done');
      if (r.status !== 'done') return;
      assert.equal(r.steps[0]?.status, 'verified');
      const audit = await auditOf(r.fixDir);
      assert.deepEqual(
        audit.map((a) => a['event']),
        ['applied', 'applied', 'verify'],
      );
      assert.ok(audit.some((a) => /-D INPUT -s 10\.213\.0\.13\/32 -p udp/.test(String(a['command']))));
      assert.equal(pings(n2, '10.244.2.0'), true);
      // Nothing left to do: a second run is a no-op.
      const again = await executePlan(plan, netnsExec(runner(), noApiPort()), {
        dryRun: false,
        nonInteractive: true,
        bundleDir: dir,
        out: () => undefined,
      });
      assert.equal(again.status === 'done' ? again.steps[0]?.status : again.status, 'no-op');
    });
  });

  describe(`align-iptables-backend on iptables-backend-mixed, in a namespace (${shell.name})`, {
    skip,
  }, () => {
    const bundle = join(EXAMPLES_DIR, 'iptables-backend-mixed');
    let ns = '';
    before(() => {
      ns = createNetns(uniqueNetnsName('mix2'));
      loadNodeRules(ns, bundle, 'ndlab-node2');
    });
    after(() => destroyNetns(ns));
    const exec = () => netnsExec(new NetnsNodeRunner({ 'ndlab-node2': ns }, shell.prefix), noApiPort());

    it('apply empties iptables-legacy and leaves iptables-nft alone; rollback restores the saved ruleset', async () => {
      const { plan } = await planned('iptables-backend-mixed', alignIptablesBackend);
      const p = only(plan);
      const legacyBefore = rulesOf(ns, 'legacy');
      const nftBefore = rulesOf(ns, 'nft');
      assert.match(legacyBefore, /:FORWARD DROP/);
      const record = await registered(alignIptablesBackend).apply(exec(), p);
      assert.equal(record.status, 'applied');
      if (record.status !== 'applied') return;
      assert.match(record.actions[0]?.before ?? '', /-A FORWARD -j DOCKER-USER/);
      assert.doesNotMatch(rulesOf(ns, 'legacy'), /^-A |DROP|DOCKER/m);
      assert.equal(rulesOf(ns, 'nft'), nftBefore);
      const v = await registered(alignIptablesBackend).verify(exec(), record, p);
      assert.equal(v.status, 'verified', JSON.stringify(v));

      const rb = await registered(alignIptablesBackend).rollback(exec(), record);
      assert.equal(rb.status, 'rolled-back', JSON.stringify(rb));
      assert.equal(rulesOf(ns, 'legacy'), legacyBefore);
    });

    it('the executor repairs it end to end, the saved ruleset in the audit log', async () => {
      const { plan } = await planned('iptables-backend-mixed', alignIptablesBackend);
      const dir = await scratchDir('nd-fix-');
      const r = await executePlan(plan, exec(), {
        dryRun: false,
        nonInteractive: true,
        bundleDir: dir,
        out: () => undefined,
      });
      assert.equal(r.status === 'done' ? r.steps[0]?.status : r.status, 'verified');
      if (r.status !== 'done') return;
      const applied = (await auditOf(r.fixDir)).find((a) => a['event'] === 'applied');
      assert.match(String(applied?.['before']), /:FORWARD DROP/);
      assert.doesNotMatch(rulesOf(ns, 'legacy'), /^-A |DROP/m);
    });

    it('refuses before any change when the legacy side now carries the cluster rules', async () => {
      const { plan } = await planned('iptables-backend-mixed', alignIptablesBackend);
      nsExec(ns, ['iptables-legacy', '-w', '5', '-t', 'nat', '-N', 'KUBE-SERVICES']);
      nsExec(ns, ['iptables-legacy', '-w', '5', '-t', 'nat', '-A', 'PREROUTING', '-j', 'KUBE-SERVICES']);
      const legacyBefore = rulesOf(ns, 'legacy');
      await assert.rejects(
        executePlan(plan, exec(), {
          dryRun: false,
          nonInteractive: true,
          bundleDir: await scratchDir('nd-fix-'),
          out: () => undefined,
        }),
        (err: unknown) => err instanceof NetdoctorError && /preconditions failed.*KUBE-/s.test(err.message),
      );
      assert.equal(rulesOf(ns, 'legacy'), legacyBefore);
      nsExec(ns, ['iptables-legacy', '-w', '5', '-t', 'nat', '-D', 'PREROUTING', '-j', 'KUBE-SERVICES']);
      nsExec(ns, ['iptables-legacy', '-w', '5', '-t', 'nat', '-X', 'KUBE-SERVICES']);
    });

    it('refuses before any change when the saved ruleset is too large to carry in the rollback', async () => {
      const { plan } = await planned('iptables-backend-mixed', alignIptablesBackend);
      const big = [
        '*filter',
        ':INPUT ACCEPT [0:0]',
        ':FORWARD DROP [0:0]',
        ':OUTPUT ACCEPT [0:0]',
        ':DOCKER-USER - [0:0]',
        '-A FORWARD -j DOCKER-USER',
        ...Array.from(
          { length: 2500 },
          (_, i) =>
            `-A DOCKER-USER -s 172.${16 + (i >> 8)}.${i & 255}.7/32 -m comment --comment "container ${i}" -j RETURN`,
        ),
        'COMMIT',
        '',
      ].join('\n');
      nsExec(ns, ['iptables-legacy-restore', '-w', '5'], big);
      const legacyBefore = rulesOf(ns, 'legacy');
      await assert.rejects(
        executePlan(plan, exec(), {
          dryRun: false,
          nonInteractive: true,
          bundleDir: await scratchDir('nd-fix-'),
          out: () => undefined,
        }),
        (err: unknown) =>
          err instanceof NetdoctorError && /preconditions failed.*too many rules/s.test(err.message),
      );
      await assert.rejects(registered(alignIptablesBackend).apply(exec(), only(plan)), /too many rules/);
      assert.equal(rulesOf(ns, 'legacy'), legacyBefore);
    });
  });

  describe(`restore-masquerade on masquerade-removed, in a namespace (${shell.name})`, { skip }, () => {
    const bundle = join(EXAMPLES_DIR, 'masquerade-removed');
    let ns = '';
    before(() => {
      ns = createNetns(uniqueNetnsName('masq2'));
      loadNodeRules(ns, bundle, 'ndlab-node2');
    });
    after(() => destroyNetns(ns));
    const runner = () => new NetnsNodeRunner({ 'ndlab-node2': ns }, shell.prefix);
    const RETURN_RULE = '-A POSTROUTING -s 10.244.0.0/16 ! -d 10.244.0.0/16 -j RETURN';

    it('apply removes the RETURN ahead of FLANNEL-POSTRTG and restarts flannel; rollback puts it back first', async () => {
      const { plan } = await planned('masquerade-removed', restoreMasquerade);
      const p = only(plan);
      const natBefore = rulesOf(ns, 'nft', 'nat');
      assert.equal(
        natBefore.split('\n').find((l) => l.startsWith('-A POSTROUTING')),
        RETURN_RULE,
      );
      const port = agentPort('ndlab-node2');
      const exec = netnsExec(runner(), port);
      const record = await registered(restoreMasquerade).apply(exec, p);
      assert.equal(record.status, 'applied');
      if (record.status !== 'applied') return;
      assert.deepEqual(port.deleted, ['kube-flannel-ds-0']);
      assert.ok(!rulesOf(ns, 'nft', 'nat').includes(RETURN_RULE));
      const v = await registered(restoreMasquerade).verify(exec, record, p);
      assert.equal(v.status, 'verified', JSON.stringify(v));
      assert.match(v.status === 'verified' ? v.detail : '', /FLANNEL-POSTRTG .*-j MASQUERADE/);

      const rb = await registered(restoreMasquerade).rollback(exec, record);
      assert.equal(rb.status, 'rolled-back', JSON.stringify(rb));
      assert.equal(rulesOf(ns, 'nft', 'nat'), natBefore);
    });

    it('when the MASQUERADE itself stays missing, verify fails and the executor rolls the deletion back (exit 4)', async () => {
      const { plan } = await planned('masquerade-removed', restoreMasquerade);
      // The fault's first half, with no flannel here to write the rules again.
      const masq = rulesOf(ns, 'nft', 'nat')
        .split('\n')
        .filter((l) => l.startsWith('-A FLANNEL-POSTRTG') && l.includes('-j MASQUERADE'));
      for (const l of masq) nsExec(ns, ['sh', '-c', `iptables-nft -t nat ${l.replace(/^-A/, '-D')}`]);
      const natBefore = rulesOf(ns, 'nft', 'nat');
      const dir = await scratchDir('nd-fix-');
      await assert.rejects(
        executePlan(plan, netnsExec(runner(), agentPort('ndlab-node2'), 1500), {
          dryRun: false,
          nonInteractive: true,
          bundleDir: dir,
          out: () => undefined,
        }),
        (err: unknown) =>
          err instanceof NetdoctorError &&
          err.exitCode === 4 &&
          /not masqueraded.*rolled back/s.test(err.message),
      );
      assert.equal(rulesOf(ns, 'nft', 'nat'), natBefore);
      for (const l of masq) nsExec(ns, ['sh', '-c', `iptables-nft -t nat ${l}`]);
    });

    it('the executor repairs it end to end', async () => {
      const { plan } = await planned('masquerade-removed', restoreMasquerade);
      const dir = await scratchDir('nd-fix-');
      const r = await executePlan(plan, netnsExec(runner(), agentPort('ndlab-node2')), {
        dryRun: false,
        nonInteractive: true,
        bundleDir: dir,
        out: () => undefined,
      });
      assert.equal(r.status === 'done' ? r.steps[0]?.status : r.status, 'verified');
      assert.ok(!rulesOf(ns, 'nft', 'nat').includes(RETURN_RULE));
    });
  });
}
