/**
 * A fault outside the catalog, end to end on the real lab: a DROP rule added by hand at the top
 * of one node's filter FORWARD chain (`iptables -I FORWARD 1 -s <pod CIDR> -j DROP`, an old
 * firewall script's idea of hardening). `diagnose` must name the node and the rule, traced from
 * the failed probes; `fix --allow-firewall-change` must delete exactly that rule, verify and
 * validate; the next diagnosis must be healthy. The rule is removed in `finally` whatever
 * happens. Skipped, with the reason, when the lab is not running.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Report } from '../../src/core/model.ts';
import { NET } from '../../src/lab/topology.ts';
import { cli, kubectl, LAB_IMAGE, type LabInfo, labOrSkipReason, tryOnNode } from './live-lab.ts';

const status = labOrSkipReason();
const skip = 'skip' in status ? status.skip : false;
const lab = ('lab' in status ? status.lab : undefined) as LabInfo;
const NS = `ndt-firewall-live-${process.pid}`;
const work = mkdtempSync(join(tmpdir(), 'ndt-firewall-'));
const RULE = `FORWARD -s ${NET.podCidr} -j DROP`;

const common = () => [
  '--kubeconfig',
  lab.kubeconfig,
  '--agent-image',
  LAB_IMAGE,
  '--agent-namespace',
  NS,
  '--external-target',
  `http://${NET.outsideWeb}/`,
  '--external-name',
  NET.outsideWebName,
];

function diagnose(name: string): { code: number | null; report: Report; stderr: string } {
  const r = cli(['diagnose', ...common(), '--out', join(work, name), '-o', 'json']);
  return { code: r.code, report: JSON.parse(r.stdout) as Report, stderr: r.stderr };
}

describe('a hand-added firewall DROP (live lab)', { skip }, () => {
  before(() => {
    const r = kubectl(lab, ['create', 'namespace', NS]);
    assert.ok(r.ok, r.err);
  });
  after(() => {
    kubectl(lab, ['delete', 'namespace', NS, '--wait=false', '--ignore-not-found']);
    rmSync(work, { recursive: true, force: true });
  });

  it('is traced to its node and rule, deleted by fix --allow-firewall-change, and the lab is healthy after', () => {
    const node = lab.nodes.at(-1);
    assert.ok(node);
    const inserted = tryOnNode(node.holderPid, `iptables -w -I ${RULE.replace('FORWARD', 'FORWARD 1')}`);
    assert.equal(inserted.code, 0, inserted.stderr);
    try {
      const broken = diagnose('broken');
      assert.equal(broken.code, 1, broken.stderr);
      const first = broken.report.rootCauses[0];
      assert.equal(
        first?.category,
        'node.firewall-drops-traffic',
        JSON.stringify(broken.report.rootCauses.map((c) => c.summary)),
      );
      assert.deepEqual([first.subject.kind, first.subject.name], ['Node', node.name]);
      const evidence = first.evidence.map((e) => e.observed).join('\n');
      assert.match(
        evidence,
        new RegExp(`-A FORWARD -s ${NET.podCidr.replaceAll('.', '\\.')} -j DROP`),
        evidence,
      );

      const fix = cli([
        'fix',
        '--bundle',
        join(work, 'broken'),
        '--non-interactive',
        '--allow-firewall-change',
        ...common(),
      ]);
      assert.equal(fix.code, 0, `${fix.stdout}\n${fix.stderr}`);
      assert.match(fix.stdout, /delete-firewall-rule/);
      assert.match(fix.stdout, /validation passed/, fix.stdout);
      assert.notEqual(tryOnNode(node.holderPid, `iptables -w -C ${RULE}`).code, 0, 'the rule is gone');

      const healed = diagnose('after');
      assert.equal(
        healed.report.verdict,
        'healthy',
        JSON.stringify(healed.report.rootCauses.map((c) => c.summary)),
      );
      assert.equal(healed.code, 0, healed.stderr);
    } finally {
      tryOnNode(node.holderPid, `while iptables -w -D ${RULE} 2>/dev/null; do :; done`);
    }
  });
});
