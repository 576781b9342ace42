/**
 * A fault outside the catalog, end to end on the real lab: a DROP rule added by hand at the top
 * of one node's filter FORWARD chain (`iptables -I FORWARD 1 -s <pod CIDR> -j DROP`, an old
 * firewall script's idea of hardening, re-applied every second as such scripts and firewall
 * daemons do). `diagnose` must name the node and the rule, traced from
 * the failed probes; `fix --allow-firewall-change` must delete exactly that rule, verify and
 * validate; the next diagnosis must be healthy. The rule is removed in `finally` whatever
 * happens. Skipped, with the reason, when the lab is not running.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Report } from '../../src/core/model.ts';
import { NET } from '../../src/lab/topology.ts';
import {
  cli,
  kubectl,
  type LabInfo,
  labArgs,
  labOrSkipReason,
  OUTSIDE_ARGS,
  tryOnNode,
  until,
} from './live-lab.ts';

const status = labOrSkipReason();
const skip = 'skip' in status ? status.skip : false;
const lab = ('lab' in status ? status.lab : undefined) as LabInfo;
const NS = `ndt-firewall-live-${process.pid}`;
const work = mkdtempSync(join(tmpdir(), 'ndt-firewall-'));
const RULE = `FORWARD -s ${NET.podCidr} -j DROP`;

const common = () => [...labArgs(lab, NS), ...OUTSIDE_ARGS];

/**
 * Keeps the rule first in FORWARD, as a firewall script that re-applies itself does, until the
 * returned function is called. kube-router's policy controller rewrites the filter table on
 * pod events and puts its own jump, which ACCEPTs the traffic of every pod it knows, back at the
 * top: a rule inserted once ends up below it and drops nothing, which is no fault at all.
 * The keeper reacts to every ruleset change xtables-monitor reports, not on a timer alone: a
 * diagnosis that read the table in a half-second window where kube-router's jump led would see
 * a firewall that lets everything through and probes that fail anyway.
 */
function keepFirst(holderPid: number): () => Promise<void> {
  const rule = RULE.replace('FORWARD ', '');
  const loop = `{ xtables-monitor -e & while :; do echo tick; sleep 0.5; done; } | while read -r _; do
    [ "$(iptables -w -S FORWARD | sed -n 2p)" = "-A ${RULE}" ] || {
      while iptables -w -D ${RULE} 2>/dev/null; do :; done
      iptables -w -I FORWARD 1 ${rule}
    }
  done`;
  const child = spawn('nsenter', ['-t', String(holderPid), '-n', '-m', 'sh', '-c', loop], {
    stdio: 'ignore',
    detached: true,
  });
  return () =>
    new Promise((done) => {
      if (child.exitCode !== null || child.signalCode !== null) return done();
      child.once('exit', () => done());
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        done();
      }
    });
}

/** Whether the DROP rule is the first rule of FORWARD (`-S` prints the policy line first). */
function isFirst(holderPid: number): boolean {
  const first = tryOnNode(holderPid, 'iptables -w -S FORWARD').stdout.split('\n')[1] ?? '';
  return first.trim() === `-A ${RULE}`;
}

/** What a failed assertion prints: enough of the report to tell why, not just the missing cause. */
function explain(r: Report): string {
  return JSON.stringify(
    {
      verdict: r.verdict,
      rootCauses: r.rootCauses.map((c) => `${c.category} ${c.subject.kind}/${c.subject.name}: ${c.summary}`),
      unexplained: r.unexplained.map((u) => u.summary),
      gaps: r.gaps.map((g) => `${g.collector}${g.node ? `@${g.node}` : ''}: ${g.reason} ${g.detail ?? ''}`),
      failedRules: r.rules.filter((o) => o.status === 'fail').map((o) => o.rule),
    },
    null,
    1,
  );
}

function diagnose(name: string): { code: number | null; report: Report; stderr: string; dir: string } {
  const r = cli(['diagnose', ...common(), '--out', join(work, name), '-o', 'json']);
  return { code: r.code, report: JSON.parse(r.stdout) as Report, stderr: r.stderr, dir: name };
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

  it('is traced to its node and rule, deleted by fix --allow-firewall-change, and the lab is healthy after', async () => {
    const node = lab.nodes.at(-1);
    assert.ok(node);
    const present = () => tryOnNode(node.holderPid, `iptables -w -C ${RULE}`).code === 0;
    try {
      // The rule is kept first all through the diagnosis; the keeper stops before the repair,
      // which must then find the rule wherever a controller moved it, and delete it.
      const stop = keepFirst(node.holderPid);
      let broken: ReturnType<typeof diagnose>;
      try {
        assert.ok(await until(() => isFirst(node.holderPid), 10_000, 200), 'the rule was never first');
        broken = diagnose('broken');
      } finally {
        await stop();
      }
      assert.ok(present(), 'the rule is still there for the repair');
      assert.equal(broken.code, 1, `${broken.stderr}\n${explain(broken.report)}`);
      const first = broken.report.rootCauses[0];
      assert.equal(first?.category, 'node.firewall-drops-traffic', explain(broken.report));
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
        join(work, broken.dir),
        '--non-interactive',
        '--allow-firewall-change',
        ...common(),
      ]);
      assert.equal(fix.code, 0, `${fix.stdout}\n${fix.stderr}`);
      assert.match(fix.stdout, /delete-firewall-rule/);
      assert.match(fix.stdout, /validation passed/, fix.stdout);
      assert.ok(!present(), 'the rule is gone');

      const healed = diagnose('after');
      assert.equal(healed.report.verdict, 'healthy', explain(healed.report));
      assert.equal(healed.code, 0, healed.stderr);
    } finally {
      tryOnNode(node.holderPid, `while iptables -w -D ${RULE} 2>/dev/null; do :; done`);
    }
  });
});
