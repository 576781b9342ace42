/**
 * Helpers for the live tests: is the lab up (so the tests skip with a reason when it is not),
 * kubectl against it, and the owned objects a run may have left.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { NET } from '../../src/lab/topology.ts';
import { loadVersions } from '../../src/lab/versions.ts';

/** The lab's toolbox image, at the version the lab builds (lab/versions.env). */
export const LAB_IMAGE = `netdoctor.lab/toolbox:${loadVersions().TOOLBOX_VERSION}`;

export interface LabInfo {
  kubeconfig: string;
  kubectl: string;
  nodes: { name: string; nodeIp: string; podCidr: string; holderPid: number }[];
}

/** The lab's status, or why the live tests cannot run. */
export function labOrSkipReason(): { lab: LabInfo } | { skip: string } {
  const r = spawnSync(process.execPath, ['src/cli/main.ts', 'lab', 'status', '-o', 'json'], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.status !== 0 && !r.stdout)
    return { skip: `lab status failed: ${(r.stderr ?? '').trim().split('\n')[0]}` };
  try {
    const s = JSON.parse(r.stdout) as LabInfo & { state?: string; apiServerReady?: boolean };
    if (s.state !== 'up' || s.apiServerReady !== true)
      return {
        skip: `the lab is not running (state ${s.state ?? '?'}); start it with: node src/cli/main.ts lab up`,
      };
    return { lab: s };
  } catch {
    return { skip: 'lab status -o json printed no JSON' };
  }
}

export function kubectl(
  lab: LabInfo,
  args: string[],
  input?: string,
): { ok: boolean; out: string; err: string } {
  const r = spawnSync(lab.kubectl, ['--kubeconfig', lab.kubeconfig, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    ...(input === undefined ? {} : { input }),
  });
  return { ok: r.status === 0, out: r.stdout ?? '', err: r.stderr ?? '' };
}

/** `namespace/name` of every pod carrying netdoctor's managed-by label (optionally one run's). */
export function ownedPods(lab: LabInfo, runId?: string): string[] {
  const selector = `app.kubernetes.io/managed-by=netdoctor${runId ? `,netdoctor.io/run=${runId}` : ''}`;
  const r = kubectl(lab, ['get', 'pods', '-A', '-l', selector, '-o', 'json']);
  if (!r.ok) throw new Error(r.err);
  return (JSON.parse(r.out) as { items: { metadata: { namespace: string; name: string } }[] }).items.map(
    (p) => `${p.metadata.namespace}/${p.metadata.name}`,
  );
}

export async function until(cond: () => boolean, timeoutMs: number, stepMs = 250): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  return cond();
}

/** Runs the CLI (this checkout) and returns its exit code and output. */
/** The flags every live run passes: the lab's kubeconfig and agent image, and a namespace of the test's own. */
export function labArgs(lab: LabInfo, namespace: string): string[] {
  return ['--kubeconfig', lab.kubeconfig, '--agent-image', LAB_IMAGE, '--agent-namespace', namespace];
}

/** The lab's stand-in for the outside world, for the egress and external DNS probes. */
export const OUTSIDE_ARGS: readonly string[] = [
  '--external-target',
  `http://${NET.outsideWeb}/`,
  '--external-name',
  NET.outsideWebName,
];

export function cli(
  args: string[],
  timeoutMs = 240_000,
): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['src/cli/main.ts', ...args], {
    encoding: 'utf8',
    timeout: timeoutMs,
  });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** `lab break` / `lab heal`, throwing with the CLI's stderr when it fails. */
export function labFault(args: string[]): void {
  const r = cli(['lab', ...args], 300_000);
  if (r.code !== 0) throw new Error(`lab ${args.join(' ')} exited ${r.code}: ${r.stderr.trim()}`);
}

/**
 * `lab heal`, then waits until every kube-system pod that is not going away is Ready: a healed
 * node's CoreDNS replica takes a while to pass readiness, and a diagnosis run in that window
 * rightly reports it.
 */
export async function labHealAndSettle(lab: LabInfo, timeoutMs = 120_000): Promise<void> {
  labFault(['heal']);
  let waiting: string[] = [];
  const ready = () => {
    const r = kubectl(lab, ['-n', 'kube-system', 'get', 'pods', '-o', 'json']);
    if (!r.ok) return false;
    const pods = (JSON.parse(r.out) as { items: SystemPod[] }).items;
    waiting = pods
      .filter((p) => !p.metadata.deletionTimestamp)
      .filter((p) => !p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
      .map((p) => p.metadata.name);
    return waiting.length === 0;
  };
  if (!(await until(ready, timeoutMs, 1000)))
    throw new Error(`kube-system pods not Ready ${timeoutMs / 1000} s after heal: ${waiting.join(', ')}`);
}

interface SystemPod {
  metadata: { name: string; deletionTimestamp?: string };
  status: { conditions?: { type: string; status: string }[] };
}

/** Runs a shell command in a lab node's network and mount namespaces; throws on a non-zero exit. */
export function onNode(holderPid: number, cmd: string): string {
  const r = tryOnNode(holderPid, cmd);
  if (r.code !== 0) throw new Error(`${cmd} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** Like onNode, returning the exit code instead of throwing. */
export function tryOnNode(
  holderPid: number,
  cmd: string,
): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync('nsenter', ['-t', String(holderPid), '-n', '-m', 'sh', '-c', cmd], {
    encoding: 'utf8',
    timeout: 30_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/**
 * A namespace of the suite's own for its agents, probes and pods: created before the file's tests
 * and deleted after them (without waiting), so ownership checks see only this suite's objects
 * while other suites use the lab. Nothing happens when the suite is skipped.
 */
export function useNamespace(lab: LabInfo, namespace: string, skip: string | false): void {
  before(() => {
    if (skip) return;
    const r = kubectl(lab, ['create', 'namespace', namespace]);
    assert.ok(r.ok, r.err);
  });
  after(() => {
    if (!skip) kubectl(lab, ['delete', 'namespace', namespace, '--wait=false', '--ignore-not-found']);
  });
}

/** netdoctor's version, as its image is tagged (`netdoctor.lab/netdoctor:<version>`). */
export const NETDOCTOR_VERSION = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string })
  .version;

/**
 * Builds netdoctor's image from this checkout (what `make image` runs) into `work` and loads
 * it into every lab node's containerd (`lab load-image`); returns its name.
 */
export function buildAndLoadNetdoctorImage(work: string): string {
  const built = spawnSync('lab/images.sh', ['netdoctor'], {
    encoding: 'utf8',
    env: { ...process.env, NETDOCTOR_IMAGE_OUT: work },
    timeout: 600_000,
  });
  assert.equal(built.status, 0, built.stderr);
  const loaded = cli(['lab', 'load-image', join(work, `netdoctor_${NETDOCTOR_VERSION}.tar`)], 600_000);
  assert.equal(loaded.code, 0, loaded.stderr);
  return `netdoctor.lab/netdoctor:${NETDOCTOR_VERSION}`;
}

/** scripts/helm.sh against the lab. */
export function helm(lab: LabInfo, args: string[], timeoutMs = 600_000): { ok: boolean; out: string } {
  const r = spawnSync('scripts/helm.sh', ['--kubeconfig', lab.kubeconfig, ...args], {
    encoding: 'utf8',
    timeout: timeoutMs,
  });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/**
 * `helm install` of charts/netdoctor into a new namespace of the lab, labelled to admit the
 * privileged agents: netdoctor's image as loaded on the nodes (never pulled), the lab's nodes as
 * static peers, and `values` (`key=value`, as `--set`). Throws with helm's output on failure.
 */
export function installChartInLab(
  lab: LabInfo,
  release: string,
  namespace: string,
  values: readonly string[],
  extra: readonly string[] = [],
): void {
  const made = kubectl(lab, ['create', 'namespace', namespace]);
  if (!made.ok) throw new Error(made.err);
  const labelled = kubectl(lab, [
    'label',
    'namespace',
    namespace,
    'pod-security.kubernetes.io/enforce=privileged',
  ]);
  if (!labelled.ok) throw new Error(labelled.err);
  const peers = lab.nodes.map((n) => ({ node: n.name, ip: n.nodeIp }));
  const installed = helm(lab, [
    'install',
    release,
    'charts/netdoctor',
    '--namespace',
    namespace,
    ...['image.pullPolicy=Never', ...values].flatMap((v) => ['--set', v]),
    '--set-json',
    `agent.peers=${JSON.stringify(peers)}`,
    ...extra,
  ]);
  if (!installed.ok) throw new Error(`helm install: ${installed.out}`);
}
