/**
 * Planning the iptables repair steps (allow-overlay-port, align-iptables-backend,
 * restore-masquerade) over the bundles recorded from the lab with each fault injected: which
 * node, which backend, which exact rules, and the refusals when the snapshot cannot tell.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { analyze } from '../../src/analyze/engine.ts';
import { readBundle } from '../../src/collect/bundle/read.ts';
import type { Report, Snapshot } from '../../src/core/model.ts';
import { parseIptablesSave } from '../../src/datapath/parsers/iptables-save.ts';
import { EXAMPLES_DIR, loadExampleCatalog } from '../../src/examples/catalog.ts';
import type { RuleRef } from '../../src/remediate/iptables-node.ts';
import { type Plan, planRepairs } from '../../src/remediate/planner.ts';
import { renderPlan } from '../../src/remediate/render-plan.ts';
import { DEFAULT_OPTIONS, type StepPlan } from '../../src/remediate/step.ts';
import { shadowingRules } from '../../src/remediate/steps/restore-masquerade.ts';

const IPTABLES_STEPS = ['allow-overlay-port', 'align-iptables-backend', 'restore-masquerade'];

async function load(id: string): Promise<{ snapshot: Snapshot; report: Report }> {
  const snapshot = await readBundle(join(EXAMPLES_DIR, id));
  return { snapshot, report: analyze(snapshot) };
}

function plan(snapshot: Snapshot, report: Report): Plan {
  return planRepairs({ report, snapshot, options: DEFAULT_OPTIONS });
}

function step(p: Plan, id: string): StepPlan {
  const s = p.steps.find((x) => x.step === id);
  assert.ok(s, `no ${id} in the plan`);
  return s;
}

const shown = (s: StepPlan) => s.nodeCommands.map((c) => `${c.node}: ${c.argv.join(' ')}`);

describe('allow-overlay-port plans from the diagnosis', () => {
  it('vxlan-port-blocked: deletes the two DROP rules on ndlab-node2 (iptables-nft) and pings ndlab-node3', async () => {
    const { snapshot, report } = await load('vxlan-port-blocked');
    const s = step(plan(snapshot, report), 'allow-overlay-port');
    const [t] = s.params['targets'] as {
      node: string;
      backends: string[];
      ports: number[];
      expected: RuleRef[];
      peers: { node: string; vtep: string }[];
    }[];
    assert.equal(t?.node, 'ndlab-node2');
    assert.deepEqual(t?.backends, ['nft']);
    assert.deepEqual(t?.ports, [8472]);
    assert.deepEqual(t?.expected.map((r) => `${r.table} ${r.chain} ${r.position}: ${r.spec}`).sort(), [
      'filter INPUT 2: -s 10.213.0.13/32 -p udp -m udp --dport 8472 -j DROP',
      'filter OUTPUT 2: -d 10.213.0.13/32 -p udp -m udp --dport 8472 -j DROP',
    ]);
    assert.deepEqual(t?.peers, [{ node: 'ndlab-node3', vtep: '10.244.2.0' }]);
    const cmds = shown(s);
    assert.match(cmds[0] ?? '', /^ndlab-node2: sh -c r=\$\(iptables-nft-save\)/);
    assert.ok(
      cmds.includes(
        'ndlab-node2: sh -c iptables-nft -w 5 -t filter -D INPUT -s 10.213.0.13/32 -p udp -m udp --dport 8472 -j DROP',
      ),
    );
    assert.match(
      s.verification,
      /ping through the overlay: ndlab-node2 -> ndlab-node3's flannel\.1 10\.244\.2\.0/,
    );
    assert.match(
      renderPlan(plan(snapshot, report)),
      /rollback: put each deleted rule back in front of the rule that followed it/,
    );
  });

  it('without the node rules in the snapshot: lists both backends at apply time, names no rule; refuses on nft-only evidence', async () => {
    const { snapshot, report } = await load('vxlan-port-blocked');
    const bare = structuredClone(snapshot);
    const dp = bare.nodes['ndlab-node2'];
    assert.ok(dp);
    delete dp.iptablesNft;
    delete dp.iptablesLegacy;
    // Seen through nft alone, the iptables-nft rules look like nft rules: not edited blindly.
    const nftOnly = plan(bare, report);
    assert.ok(!nftOnly.steps.some((x) => x.step === 'allow-overlay-port'));
    assert.match(
      nftOnly.skipped.find((x) => x.category === 'overlay.port-blocked')?.reason ?? '',
      /shows only in the nft ruleset .*no iptables dump/,
    );
    delete dp.nftRuleset;
    const s = step(plan(bare, report), 'allow-overlay-port');
    const [t] = s.params['targets'] as { backends: string[]; expected: unknown[]; peers: unknown[] }[];
    assert.deepEqual(t?.backends, ['nft', 'legacy']);
    assert.deepEqual(t?.expected, []);
    assert.equal(s.nodeCommands.length, 2);
    assert.ok(s.nodeCommands.every((c) => /-save\)/.test(c.argv.join(' '))));
  });
});

describe('align-iptables-backend plans from the diagnosis', () => {
  it('iptables-backend-mixed: keeps nft, saves and empties legacy on ndlab-node2', async () => {
    const { snapshot, report } = await load('iptables-backend-mixed');
    const s = step(plan(snapshot, report), 'align-iptables-backend');
    assert.deepEqual(s.params['targets'], [{ node: 'ndlab-node2', keep: 'nft', stray: 'legacy' }]);
    assert.deepEqual(shown(s), [
      'ndlab-node2: sh -c iptables-legacy-save',
      'ndlab-node2: sh -c iptables-legacy -w 5 -t nat -F && iptables-legacy -w 5 -t nat -X && ' +
        'iptables-legacy -w 5 -t filter -F && iptables-legacy -w 5 -t filter -X && ' +
        'iptables-legacy -w 5 -t filter -P FORWARD ACCEPT',
    ]);
    const removes = s.notes.find((n) => n.startsWith('ndlab-node2: removes from iptables-legacy'));
    assert.match(removes ?? '', /filter FORWARD policy DROP/);
    assert.match(removes ?? '', /-A FORWARD -j DOCKER-USER/);
    assert.match(s.rollback, /iptables-<backend>-restore/);
  });

  it("refuses when both backends hold the cluster's rules: the owner decides", async () => {
    const { snapshot, report } = await load('iptables-backend-mixed');
    const both = structuredClone(snapshot);
    const dp = both.nodes['ndlab-node2'];
    assert.ok(dp?.iptablesNft);
    dp.iptablesLegacy = structuredClone(dp.iptablesNft);
    const p = plan(both, report);
    assert.ok(!p.steps.some((s) => s.step === 'align-iptables-backend'));
    const skip = p.skipped.find((s) => s.category === 'node.iptables-backend-mixed');
    assert.match(skip?.reason ?? '', /both backends.*owner's call/);
    assert.ok((skip?.manualCommands ?? []).length > 0);
  });
});

describe('restore-masquerade plans from the diagnosis', () => {
  it('masquerade-removed: deletes the RETURN the diagnosis names, then restarts flannel on ndlab-node2', async () => {
    const { snapshot, report } = await load('masquerade-removed');
    const s = step(plan(snapshot, report), 'restore-masquerade');
    const [t] = s.params['targets'] as { node: string; cluster: string; expected: RuleRef[] }[];
    assert.equal(t?.node, 'ndlab-node2');
    assert.equal(t?.cluster, '10.244.0.0/16');
    assert.deepEqual(
      t?.expected.map((r) => `${r.backend} ${r.table} ${r.chain} ${r.position}: ${r.spec}`),
      ['nft nat POSTROUTING 1: -s 10.244.0.0/16 ! -d 10.244.0.0/16 -j RETURN'],
    );
    const del = s.nodeCommands.find((c) => c.argv.join(' ').includes(' -D POSTROUTING '));
    assert.equal(
      del?.argv.join(' '),
      'sh -c iptables-nft -w 5 -t nat -D POSTROUTING -s 10.244.0.0/16 ! -d 10.244.0.0/16 -j RETURN',
    );
    assert.match(del?.why ?? '', /^the rule the diagnosis found deciding pod egress/);
    assert.deepEqual(
      s.objectChanges.map((o) => `${o.action} ${o.kind} ${o.namespace}`),
      ['delete Pod kube-flannel'],
    );
    assert.match(s.verification, /ends in MASQUERADE with no RETURN ahead of it/);
  });

  it('only pod-egress RETURN/ACCEPT rules ahead of the CNI chain count as shadowing', async () => {
    const { snapshot } = await load('masquerade-removed');
    const nat = snapshot.nodes['ndlab-node2']?.iptablesNft?.tables['nat'];
    assert.ok(nat);
    const lines = [
      '*nat',
      ...Object.entries(nat.chains).map(([c, p]) => `:${c} ${p} [0:0]`),
      // pod-to-pod traffic is not egress; a host-network source is not a pod
      '-A POSTROUTING -s 10.244.0.0/16 -d 10.244.0.0/16 -j RETURN',
      '-A POSTROUTING -s 192.168.0.0/16 -j RETURN',
      ...nat.rules.map((r) => `-A ${r.chain} ${r.spec}`),
      // behind flannel's jump: the packet never gets here
      '-A POSTROUTING -s 10.244.1.0/24 -j ACCEPT',
      'COMMIT',
    ];
    const table = parseIptablesSave(`${lines.join('\n')}\n`).tables['nat'];
    assert.ok(table);
    assert.deepEqual(
      shadowingRules('ndlab-node2', 'nft', table, '10.244.1.0/24', '10.244.0.0/16').map(
        (r) => `${r.position}: ${r.spec}`,
      ),
      ['3: -s 10.244.0.0/16 ! -d 10.244.0.0/16 -j RETURN'],
    );
  });
});

describe('the iptables steps on the other recorded faults', () => {
  it('are planned only where their fault is', async () => {
    const want: Record<string, string> = {
      'vxlan-port-blocked': 'allow-overlay-port',
      'iptables-backend-mixed': 'align-iptables-backend',
      'masquerade-removed': 'restore-masquerade',
    };
    for (const e of await loadExampleCatalog()) {
      const { snapshot, report } = await load(e.id);
      const got = plan(snapshot, report)
        .steps.map((s) => s.step)
        .filter((id) => IPTABLES_STEPS.includes(id));
      assert.deepEqual(got, want[e.id] ? [want[e.id]] : [], e.id);
    }
  });
});
