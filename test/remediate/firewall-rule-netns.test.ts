/**
 * delete-firewall-rule run for real: the node with the hand-added FORWARD DROP (a recorded
 * healthy lab bundle with the rule inserted, see test/support/firewall-drop-bundle.ts) is a
 * network namespace loaded with that node's recorded rules, routing between a client and a
 * server namespace standing for pods on two nodes. The plan comes from the bundle's diagnosis;
 * the step's own commands apply, verify and roll back against the kernel, after a controller
 * has rewritten the chain so that the rule's recorded position is stale. Needs root; skipped
 * otherwise.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { analyze } from '../../src/analyze/engine.ts';
import { readBundle } from '../../src/collect/bundle/read.ts';
import { executePlan } from '../../src/remediate/executor.ts';
import { planRepairs } from '../../src/remediate/planner.ts';
import { DEFAULT_OPTIONS, type StepPlan } from '../../src/remediate/step.ts';
import { deleteFirewallRule } from '../../src/remediate/steps/delete-firewall-rule.ts';
import { DROP_NODE, DROP_RULE, firewallDropBundle } from '../support/firewall-drop-bundle.ts';
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

const skip = canUseNetns() ? false : 'needs root and iproute2 to create network namespaces';

/** A pod on another node (client) and one on the node (server), routed through the node. */
const CLIENT = { ip: '10.244.0.23', gw: '10.244.0.1' };
const SERVER = { ip: '10.244.2.22', gw: '10.244.2.1' };

function wire(node: string, client: string, server: string): void {
  for (const [pod, end, dev] of [
    [client, CLIENT, 'vc'],
    [server, SERVER, 'vs'],
  ] as const) {
    run(['ip', '-n', node, 'link', 'add', dev, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', pod]);
    run(['ip', '-n', node, 'addr', 'add', `${end.gw}/24`, 'dev', dev]);
    run(['ip', '-n', node, 'link', 'set', dev, 'up']);
    run(['ip', '-n', pod, 'addr', 'add', `${end.ip}/24`, 'dev', 'eth0']);
    run(['ip', '-n', pod, 'link', 'set', 'eth0', 'up']);
    run(['ip', '-n', pod, 'link', 'set', 'lo', 'up']);
    run(['ip', '-n', pod, 'route', 'add', 'default', 'via', end.gw]);
  }
  nsExec(node, ['sysctl', '-qw', 'net.ipv4.ip_forward=1']);
}

function pings(ns: string, ip: string): boolean {
  try {
    nsExec(ns, ['ping', '-c', '1', '-W', '1', ip]);
    return true;
  } catch {
    return false;
  }
}

async function plannedStep(
  bundle: string,
  allowFirewallChange: boolean,
): Promise<ReturnType<typeof planRepairs>> {
  const snapshot = await readBundle(bundle);
  return planRepairs({
    report: analyze(snapshot),
    snapshot,
    options: { ...DEFAULT_OPTIONS, allowFirewallChange, only: [deleteFirewallRule.id] },
  });
}

describe('delete-firewall-rule planning', () => {
  let bundle = '';
  before(async () => {
    bundle = await firewallDropBundle();
  });
  after(() => rm(bundle, { recursive: true, force: true }));

  it('without --allow-firewall-change: refused, the exact manual command given', async () => {
    const plan = await plannedStep(bundle, false);
    assert.deepEqual(plan.steps, []);
    const s = plan.skipped.find((x) => x.category === 'node.firewall-drops-traffic');
    assert.match(s?.reason ?? '', /--allow-firewall-change/);
    assert.ok(
      s?.manualCommands?.some((c) =>
        c.includes('iptables-nft -w 5 -t filter -D FORWARD -s 10.244.0.0/16 -j DROP'),
      ),
      JSON.stringify(s),
    );
  });

  it('with consent: one step on the node, deleting by identity', async () => {
    const plan = await plannedStep(bundle, true);
    assert.deepEqual(
      plan.steps.map((s) => s.step),
      [deleteFirewallRule.id],
    );
    const cmds = plan.steps[0]?.nodeCommands.map((c) => `${c.node}: ${c.argv.join(' ')}`) ?? [];
    assert.ok(
      cmds.some((c) => c.startsWith(`${DROP_NODE}:`) && c.includes('-D FORWARD -s 10.244.0.0/16 -j DROP')),
    );
    assert.ok(!cmds.some((c) => /-D FORWARD \d/.test(c)), 'never by position');
  });
});

for (const shell of SHELLS) {
  describe(`delete-firewall-rule in namespaces (${shell.name})`, { skip }, () => {
    let bundle = '';
    let node = '';
    let client = '';
    let server = '';
    before(async () => {
      bundle = await firewallDropBundle();
      node = createNetns(uniqueNetnsName('fw3'));
      client = createNetns(uniqueNetnsName('fwc'));
      server = createNetns(uniqueNetnsName('fws'));
      wire(node, client, server);
      loadNodeRules(node, bundle, DROP_NODE);
    });
    after(async () => {
      for (const ns of [client, server, node]) if (ns) destroyNetns(ns);
      await rm(bundle, { recursive: true, force: true });
    });
    const exec = () => netnsExec(new NetnsNodeRunner({ [DROP_NODE]: node }, shell.prefix), noApiPort());
    const step = async (): Promise<StepPlan> => {
      const s = (await plannedStep(bundle, true)).steps[0];
      assert.ok(s);
      return s;
    };

    it('the recorded rules with the hand-added DROP cut pod traffic through the node', () => {
      assert.equal(pings(client, SERVER.ip), false);
    });

    it('apply deletes that rule where it sits now, traffic flows; rollback puts it back exactly', async () => {
      const p = await step();
      // A controller rewrites the chain after the diagnosis: the rule is no longer first.
      nsExec(node, ['iptables-nft', '-I', 'FORWARD', '1', '-m', 'comment', '--comment', 'controller']);
      nsExec(node, ['iptables-nft', '-I', 'FORWARD', '1', '-s', '10.244.7.0/24', '-j', 'DROP']);
      const before = rulesOf(node, 'nft');
      assert.equal(pings(client, SERVER.ip), false);

      const record = await registered(deleteFirewallRule).apply(exec(), p);
      assert.equal(record.status, 'applied');
      if (record.status !== 'applied') return;
      assert.deepEqual(record.facts['removed'], [`iptables-nft -t filter: ${DROP_RULE} (position 3)`]);
      assert.match(
        record.actions[0]?.before ?? '',
        /-A FORWARD -s 10\.244\.0\.0\/16 -j DROP/,
        'the table was backed up',
      );
      const now = rulesOf(node, 'nft');
      assert.doesNotMatch(now, /^-A FORWARD -s 10\.244\.0\.0\/16 -j DROP$/m);
      // Nothing else changed: not the controller's rules, not a similar DROP.
      assert.equal(now, before.replace(`${DROP_RULE}\n`, ''));
      assert.equal(pings(client, SERVER.ip), true);
      const v = await registered(deleteFirewallRule).verify(exec(), record, p);
      assert.equal(v.status, 'verified', JSON.stringify(v));

      const rb = await registered(deleteFirewallRule).rollback(exec(), record);
      assert.equal(rb.status, 'rolled-back', JSON.stringify(rb));
      assert.equal(rulesOf(node, 'nft'), before);
      assert.equal(pings(client, SERVER.ip), false);
      nsExec(node, ['iptables-nft', '-D', 'FORWARD', '-s', '10.244.7.0/24', '-j', 'DROP']);
      nsExec(node, ['iptables-nft', '-D', 'FORWARD', '-m', 'comment', '--comment', 'controller']);
    });

    it('the executor repairs it end to end with the deletion in the audit log; a second run is a no-op', async () => {
      const plan = await plannedStep(bundle, true);
      const dir = await mkdtemp(join(tmpdir(), 'nd-fix-'));
      const opts = { dryRun: false, nonInteractive: true, bundleDir: dir, out: () => undefined };
      const r = await executePlan(plan, exec(), opts);
      assert.equal(r.status === 'done' ? r.steps[0]?.status : r.status, 'verified');
      if (r.status !== 'done') return;
      const audit = (await readFile(join(r.fixDir, 'audit.jsonl'), 'utf8')).trim().split('\n');
      assert.ok(audit.some((l) => l.includes('-D FORWARD -s 10.244.0.0/16 -j DROP')));
      assert.equal(pings(client, SERVER.ip), true);
      const again = await executePlan(plan, exec(), opts);
      assert.equal(again.status === 'done' ? again.steps[0]?.status : again.status, 'no-op');
      await rm(dir, { recursive: true, force: true });
    });
  });
}
