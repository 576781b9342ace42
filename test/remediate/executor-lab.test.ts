/**
 * Executor against the real lab cluster, only with steps that are safe on a healthy cluster
 * (kube-proxy rollout restart, ip_forward already 1). Skipped with a reason when the lab is down.
 */

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { KubePort, loadKubeConfig } from '../../src/cluster/kube-port.ts';
import type { RepairPort } from '../../src/cluster/port.ts';
import type { K8sDaemonSet, K8sDeployment, K8sNode } from '../../src/core/cluster-types.ts';
import { emptyClusterState } from '../../src/core/cluster-types.ts';
import { NetdoctorError } from '../../src/core/errors.ts';
import type { Report, RootCause, Snapshot } from '../../src/core/model.ts';
import { executePlan } from '../../src/remediate/executor.ts';
import { PodNodeRunner } from '../../src/remediate/node-exec.ts';
import { planRepairs } from '../../src/remediate/planner.ts';
import type { RepairExec } from '../../src/remediate/step.ts';
import { DEFAULT_OPTIONS } from '../../src/remediate/step.ts';
import { rolloutState, sleep, templateRestartedAt } from '../../src/remediate/step-kit.ts';
import { fullCoverage } from '../fixtures/report/build.ts';
import { LAB_IMAGE } from '../live/live-lab.ts';
import { scratchDir } from '../support/scratch-dir.ts';

const KUBECONFIG = '/var/lib/netdoctor-lab/admin.kubeconfig';
const MUTATING = new Set([
  'createPod',
  'deletePod',
  'createService',
  'deleteService',
  'patchObject',
  'createObject',
  'deleteObject',
]);

async function labPort(): Promise<KubePort | string> {
  if (!existsSync(KUBECONFIG)) return `lab not running: ${KUBECONFIG} absent`;
  try {
    const port = new KubePort(loadKubeConfig({ kubeconfig: KUBECONFIG }));
    await port.serverVersion();
    return port;
  } catch (err) {
    return `lab not reachable: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/** The real port, with every call recorded. */
function recording(port: RepairPort): { port: RepairPort; calls: string[] } {
  const calls: string[] = [];
  const proxy = new Proxy(port, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function') return v;
      return (...args: unknown[]) => {
        calls.push(String(prop));
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { port: proxy, calls };
}

async function liveSnapshot(port: RepairPort): Promise<Snapshot> {
  const cluster = emptyClusterState();
  cluster.nodes = (await port.list('nodes')) as K8sNode[];
  cluster.daemonSets = (await port.list('daemonSets', {
    namespaces: ['kube-system', 'kube-flannel'],
  })) as K8sDaemonSet[];
  cluster.deployments = (await port.list('deployments', { namespaces: ['kube-system'] })) as K8sDeployment[];
  return {
    meta: { createdAt: new Date().toISOString(), source: 'lab', netdoctorVersion: 'test' },
    cluster,
    nodes: {},
    gaps: [],
  };
}

function reportWith(causes: Partial<RootCause>[]): Report {
  return {
    schemaVersion: 1,
    generatedAt: new Date().toISOString(),
    verdict: 'degraded',
    pattern: { score: 0, signals: [], match: 'none' },
    rootCauses: causes.map((c) => ({
      category: 'proxy.not-ready',
      subject: { kind: 'Node', name: 'x' },
      confidence: 0.95,
      summary: 'test cause',
      evidence: [],
      explains: [],
      remediation: ['restart-kube-proxy'],
      finding: 'test',
      ...c,
    })) as RootCause[],
    findings: [],
    probes: {},
    gaps: [],
    rules: [],
    coverage: fullCoverage(0, [], []),
    unexplained: [],
    meta: { createdAt: new Date().toISOString(), source: 'lab', netdoctorVersion: 'test' },
  };
}

async function waitRolledOut(port: RepairPort): Promise<void> {
  for (let i = 0; i < 90; i++) {
    if (rolloutState('DaemonSet', await port.readObject('DaemonSet', 'kube-system', 'kube-proxy')).ok) return;
    await sleep(2000);
  }
}

const got = await labPort();
const skip = typeof got === 'string' ? got : false;

describe('executor against the lab', { skip }, () => {
  const port = got as KubePort;
  const node = async () =>
    ((await port.list('nodes')) as K8sNode[]).map((n) => n.metadata.name).sort()[1] ?? 'none';

  function exec(p: RepairPort, snapshot: Snapshot, verifyTimeoutMs: number): RepairExec {
    return {
      port: p,
      nodes: new PodNodeRunner(p, {
        image: LAB_IMAGE,
        namespace: 'kube-system',
        runId: 'test-fix',
        timeoutMs: 90_000,
      }),
      verifyTimeoutMs,
      pollMs: 2000,
      snapshot,
      log: () => undefined,
    };
  }

  it('dry-run calls no verb at all on the real port', async () => {
    const snapshot = await liveSnapshot(port);
    const plan = planRepairs({
      report: reportWith([{ subject: { kind: 'Node', name: await node() } }]),
      snapshot,
      options: DEFAULT_OPTIONS,
    });
    assert.equal(plan.steps.length, 1);
    const rec = recording(port);
    let text = '';
    const r = await executePlan(plan, exec(rec.port, snapshot, 1000), {
      dryRun: true,
      nonInteractive: true,
      bundleDir: '/nonexistent',
      out: (s) => {
        text += s;
      },
    });
    assert.equal(r.status, 'dry-run');
    assert.deepEqual(
      rec.calls.filter((c) => MUTATING.has(c)),
      [],
    );
    assert.deepEqual(rec.calls, []);
    assert.match(text, /restart-kube-proxy/);
  });

  it('restart-kube-proxy: rollout restart, verified ready, audit log and backup written', {
    timeout: 240_000,
  }, async () => {
    await waitRolledOut(port);
    const snapshot = await liveSnapshot(port);
    const plan = planRepairs({
      report: reportWith([{ subject: { kind: 'Node', name: await node() } }]),
      snapshot,
      options: DEFAULT_OPTIONS,
    });
    const dir = await scratchDir('nd-fix-');
    const r = await executePlan(plan, exec(port, snapshot, 180_000), {
      dryRun: false,
      nonInteractive: true,
      bundleDir: dir,
      out: () => undefined,
    });
    assert.equal(r.status, 'done');
    if (r.status !== 'done') return;
    assert.equal(r.steps[0]?.status, 'verified');
    const audit = (await readFile(join(r.fixDir, 'audit.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string });
    assert.deepEqual(
      audit.map((a) => a.event),
      ['backup', 'applied', 'verify'],
    );
    const backups = await readdir(join(r.fixDir, 'backups'));
    assert.equal(backups.length, 1);
    assert.match(await readFile(join(r.fixDir, 'backups', backups[0] ?? ''), 'utf8'), /kind: DaemonSet/);
  });

  it('a verification that cannot pass (timeout 0) is rolled back: exit 4, template as found', {
    timeout: 300_000,
  }, async () => {
    await waitRolledOut(port);
    const before = templateRestartedAt(await port.readObject('DaemonSet', 'kube-system', 'kube-proxy'));
    const snapshot = await liveSnapshot(port);
    const plan = planRepairs({
      report: reportWith([{ subject: { kind: 'Node', name: await node() } }]),
      snapshot,
      options: { ...DEFAULT_OPTIONS, only: ['restart-kube-proxy'] },
    });
    const dir = await scratchDir('nd-fix-');
    await assert.rejects(
      executePlan(plan, exec(port, snapshot, 0), {
        dryRun: false,
        nonInteractive: true,
        bundleDir: dir,
        out: () => undefined,
      }),
      (err: unknown) =>
        err instanceof NetdoctorError &&
        err.code === 'repair-failed' &&
        err.exitCode === 4 &&
        /rolled back/.test(err.message),
    );
    assert.equal(
      templateRestartedAt(await port.readObject('DaemonSet', 'kube-system', 'kube-proxy')),
      before,
    );
    await waitRolledOut(port);
    const fix = (await readdir(dir)).find((d) => d.startsWith('fix-')) ?? '';
    const events = (await readFile(join(dir, fix, 'audit.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { event: string }).event);
    assert.deepEqual(events, ['backup', 'applied', 'verify', 'rollback']);
  });

  it('enable-ip-forward on a node where it is already 1: a no-op, nothing changed', {
    timeout: 180_000,
  }, async () => {
    const name = await node();
    const snapshot = await liveSnapshot(port);
    const report = reportWith([
      {
        category: 'node.ip-forward-disabled',
        subject: { kind: 'Node', name },
        remediation: ['enable-ip-forward'],
      },
    ]);
    const plan = planRepairs({ report, snapshot, options: DEFAULT_OPTIONS });
    assert.deepEqual(
      plan.steps.map((s) => s.step),
      ['enable-ip-forward'],
    );
    const dir = await scratchDir('nd-fix-');
    const r = await executePlan(plan, exec(port, snapshot, 30_000), {
      dryRun: false,
      nonInteractive: true,
      bundleDir: dir,
      out: () => undefined,
    });
    assert.equal(r.status, 'done');
    if (r.status === 'done') assert.equal(r.steps[0]?.status, 'no-op');
  });
});
