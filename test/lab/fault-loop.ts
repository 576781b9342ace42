/**
 * One fault's whole loop against the real lab, shared by the suites that run it (the catalog in
 * iptables mode, kube-proxy's faults in nftables mode): `break` shows its symptom with plain
 * kubectl/exec, `diagnose` ranks the fault's root cause first, `netdoctor fix --non-interactive`
 * repairs it and its validation passes, a fresh `diagnose` finds the lab healthy, and `heal`
 * proves nothing is left. Each suite is its own process, so the state below is its own.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubePort, loadKubeConfig } from '../../src/cluster/kube-port.ts';
import { runDiagnosis } from '../../src/diagnose/pipeline.ts';
import { breakFault, healFaults, listFaults } from '../../src/lab/fault-runner.ts';
import { NET } from '../../src/lab/topology.ts';
import { loadVersions } from '../../src/lab/versions.ts';
import { CONFIRMED_CONFIDENCE } from '../../src/remediate/planner.ts';
import {
  allPodsRunning,
  eventually,
  healthyFailures,
  kc,
  paths,
  type ToolboxPod,
  toolboxPods,
} from './lab-checks.ts';

/**
 * Per fault: what plain kubectl/exec shows while it is in force (true = symptom seen), and what
 * the lab is arranged into before it breaks (undone after).
 */
export interface FaultSpec {
  node?: string;
  symptom: () => boolean;
  settleMs?: number;
  arrange?: { before: () => Promise<void> | void; after: () => void };
}

export function podOn(node: string): ToolboxPod {
  const p = toolboxPods().find((x) => x.node === node);
  assert.ok(p, `a toolbox pod on ${node}`);
  return p;
}

/** The toolbox image netdoctor's agents and probes use in the lab. */
export const LAB_TOOLBOX = `netdoctor.lab/toolbox:${loadVersions().TOOLBOX_VERSION}`;

/** Where this run keeps its bundles (the healthy one is the "earlier bundle" fix reinstalls from). */
export const work = mkdtempSync(join(tmpdir(), 'ndt-lab-'));

/** netdoctor's whole live pipeline (cluster, node agents, probes, analysis) against the lab. */
export async function diagnoseLab(name: string) {
  const port = new KubePort(loadKubeConfig({ kubeconfig: paths.kubeconfig }));
  return runDiagnosis(port, {
    outDir: join(work, name),
    nodeAccess: { kind: 'agent', image: LAB_TOOLBOX, namespace: 'kube-system' },
    probes: true,
    probeNamespace: 'default',
    probeImage: LAB_TOOLBOX,
    externalTarget: `http://${NET.outsideWeb}/`,
    externalName: NET.outsideWebName,
  });
}

export function rootCauseList(report: {
  rootCauses: { category: string; subject: { kind: string; name: string } }[];
}) {
  return report.rootCauses.map((rc) => `${rc.category} ${rc.subject.kind}/${rc.subject.name}`).join('; ');
}

/**
 * Diagnoses the broken lab and checks the catalog's root cause is ranked first, on the faulty
 * node for node-scoped faults. Returns the bundle `fix` repairs from. NETDOCTOR_RECORD_DIR=<dir>
 * keeps each bundle as <dir>/<fault>.
 */
export async function diagnoseFault(fault: string, node: string | undefined): Promise<string> {
  const expected = listFaults().find((f) => f.id === fault)?.expectedRootCause;
  assert.ok(expected, `the catalog names ${fault}'s root cause`);
  const { report, bundleDir } = await diagnoseLab(fault);
  const record = process.env['NETDOCTOR_RECORD_DIR'];
  if (record) cpSync(bundleDir, join(record, fault), { recursive: true });
  const first = report.rootCauses[0];
  assert.equal(first?.category, expected, `root causes: ${rootCauseList(report) || 'none'}`);
  if (node) assert.deepEqual([first?.subject.kind, first?.subject.name], ['Node', node]);
  assert.notEqual(report.verdict, 'healthy');
  assert.ok(first && first.evidence.length > 0, 'the root cause carries evidence');
  // fix acts only on a confirmed cause; a partial match here would leave the fault unrepaired.
  assert.ok(
    first.confidence >= CONFIRMED_CONFIDENCE,
    `${first.category} is only a partial match (confidence ${first.confidence}): ${first.evidence.map((e) => e.observed).join('; ')}`,
  );
  return bundleDir;
}

/** The healthy lab's bundle, written before any fault: the last known CNI manifest lives in it. */
let healthyBundle: string | undefined;

/** Records the healthy lab's bundle (see {@link fixFromBundle}). */
export function setHealthyBundle(dir: string): void {
  healthyBundle = dir;
}

/**
 * `netdoctor fix --non-interactive` from the fault's diagnosis bundle, as a user runs it: every
 * consent given (upstream change, emergency DNS allow, app object edit) and the healthy bundle as
 * the earlier backup of the CNI manifest. Its closing validation is `netdoctor validate`'s suite;
 * exit 0 means every step verified and the validation passed.
 */
export function fixFromBundle(bundleDir: string): { status: number | null; out: string; seconds: number } {
  assert.ok(healthyBundle, 'the healthy bundle was written first');
  const started = Date.now();
  const r = spawnSync(
    process.execPath,
    [
      'src/cli/main.ts',
      'fix',
      '--bundle',
      bundleDir,
      '--non-interactive',
      '--allow-upstream-change',
      '--emergency-allow-dns',
      '--allow-app-change',
      '--manifest',
      healthyBundle,
      '--kubeconfig',
      paths.kubeconfig,
      '--toolbox-image',
      LAB_TOOLBOX,
      '--agent-namespace',
      'default',
      '--external-target',
      `http://${NET.outsideWeb}/`,
      '--external-name',
      NET.outsideWebName,
      '--verify-timeout',
      '90',
    ],
    { encoding: 'utf8', timeout: 240_000, maxBuffer: 64 * 1024 * 1024 },
  );
  return {
    status: r.status,
    out: `${r.stdout ?? ''}${r.stderr ?? ''}`,
    seconds: (Date.now() - started) / 1000,
  };
}

/** Waits until every pod runs and the plain healthy checks pass; throws with what still fails. */
export async function settled(): Promise<void> {
  await eventually('all pods Running again', () => allPodsRunning().ok, 180_000);
  let fails: string[] = [];
  await eventually(
    'the healthy checks',
    () => {
      fails = healthyFailures();
      return fails.length === 0;
    },
    180_000,
  ).catch(() => assert.deepEqual(fails, []));
}

/** Seconds each phase of each fault's loop took, printed at the end for the record. */
export const timings: string[] = [];

/** The loop of one fault; the caller's `it` caps its time. */
export async function runFaultLoop(fault: string, spec: FaultSpec): Promise<void> {
  // Each fault starts from a whole lab. One left broken by an earlier fault is mended first
  // (that fault already failed for it); only if that fails is this fault charged.
  const before = healthyFailures();
  if (before.length > 0) {
    await healFaults(paths);
    await settled().catch(() => assert.fail(`the lab is not healthy before ${fault}: ${before.join('; ')}`));
  }
  try {
    await spec.arrange?.before();
  } catch (err) {
    spec.arrange?.after();
    throw err;
  }
  const t0 = Date.now();
  const lap = (() => {
    let last = t0;
    return () => {
      const now = Date.now();
      const s = ((now - last) / 1000).toFixed(0);
      last = now;
      return s;
    };
  })();
  await breakFault(paths, fault, spec.node);
  let finished = false;
  let residue: string[] = [];
  try {
    await eventually(`${fault}'s symptom`, spec.symptom, spec.settleMs ?? 60_000);
    const broken = lap();
    const bundle = await diagnoseFault(fault, spec.node);
    const diagnosed = lap();
    const fix = fixFromBundle(bundle);
    assert.equal(fix.status, 0, `fix --non-interactive exited ${fix.status}:\n${fix.out}`);
    assert.match(fix.out, /validation passed/, fix.out);
    const fixed = lap();
    const after = await diagnoseLab(`${fault}-after-fix`);
    assert.equal(after.report.verdict, 'healthy', `after fix: ${rootCauseList(after.report)}`);
    const rediagnosed = lap();
    timings.push(
      `${fault}: break+symptom ${broken}, diagnose ${diagnosed}, fix+validate ${fixed}, diagnose again ${rediagnosed}, total ${((Date.now() - t0) / 1000).toFixed(0)}`,
    );
    finished = true;
  } finally {
    // The emergency DNS allow is meant to be reverted by hand once the policy is fixed: do so.
    kc(['delete', 'networkpolicy', '-A', '-l', 'netdoctor.io/emergency=true', '--ignore-not-found']);
    // Heal proves the fault is gone (its residue check) and heals twice if it has to.
    const healed = await healFaults(paths);
    residue = healed.residue.flatMap((r) => r.left);
    spec.arrange?.after();
    // After a failure, still give the next fault a whole lab (its own error is the one reported).
    if (!finished) await settled().catch(() => undefined);
  }
  assert.deepEqual(residue, [], `${fault} left residue after heal`);
  await settled();
}
