/**
 * `lab up`: from nothing to a Ready cluster. Each step records what it made before the next
 * begins, so a failure part-way leaves a state that `lab down` removes.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_AGENT_IMAGE } from '../collect/node/agent-pod.ts';
import { NetdoctorError } from '../core/errors.ts';
import { addonContext, IMAGE_REGISTRY } from './addons/context.ts';
import { ADDONS } from './addons/index.ts';
import { type ControlPlaneComponent, startControlPlaneComponent, writeKubeconfigs } from './control-plane.ts';
import { dataPlaneFailures, podsNotRunning } from './data-plane.ts';
import { labDown } from './down.ts';
import { applyManifest, kubectl, tryKubectl } from './kubectl.ts';
import { createNodeNetwork, createOutsideWorld, createUnderlay } from './network.ts';
import {
  containerdSocket,
  ensureHostMountPoints,
  importImages,
  startContainerd,
  startHolder,
  startKubelet,
  tagImage,
} from './node-runtime.ts';
import { startOutsideTls, startOutsideWorld } from './outside-world.ts';
import type { LabPaths } from './paths.ts';
import { makePki } from './pki.ts';
import { ensureBuilt, ensureDebianPackages, IMAGE_ARCHIVES } from './prerequisites.ts';
import type { LabProxyMode } from './proxy-mode.ts';
import { isAlive, tryRun, waitFor } from './shell.ts';
import { emptyState, readState, StateRecorder } from './state.ts';
import { type LabTopology, MAX_NODES, planTopology } from './topology.ts';
import type { LabVersions } from './versions.ts';

export interface UpOptions {
  nodes: number;
  log: (message: string) => void;
  /** Seconds to wait for every node Ready and every system pod Running. */
  timeoutSeconds: number;
  /** How kube-proxy programs Services (default iptables). */
  proxyMode?: LabProxyMode;
}

export interface UpResult {
  topology: LabTopology;
  seconds: number;
}

function podsSettled(paths: LabPaths): boolean {
  const pods = podsNotRunning(paths);
  return pods.ok && pods.total > 0;
}

function nodesReady(paths: LabPaths, count: number): boolean {
  const r = tryKubectl(paths, [
    'get',
    'nodes',
    '-o',
    'jsonpath={range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}',
  ]);
  if (r.code !== 0) return false;
  const ready = r.stdout.split('\n').filter((l) => l.trim() === 'True').length;
  return ready === count;
}

/**
 * Waits until the data plane passes every check of `lab check` (pod-to-pod across node pairs,
 * DNS, ClusterIP, NodePort, egress): pods Running say nothing of whether the CNI, kube-proxy
 * and the policy controller have programmed their paths yet, and a lab that reports itself up
 * must carry traffic. Logs each new set of failures while waiting, and fails with the last one.
 */
async function waitForDataPlane(paths: LabPaths, opts: UpOptions): Promise<void> {
  opts.log('waiting for the data plane: pod-to-pod, DNS, ClusterIP, NodePort, egress');
  let last: string[] = [];
  let logged = '';
  try {
    await waitFor(
      'the data plane to pass its checks',
      () => {
        last = dataPlaneFailures(paths);
        // Logged when the set of failing checks changes, not their output (timings vary).
        const now = last.map((f) => f.split(': ')[0]).join('\n');
        if (last.length > 0 && now !== logged) {
          logged = now;
          opts.log(`not yet: ${last.length} check(s) failing, first: ${last[0]}`);
        }
        return last.length === 0;
      },
      opts.timeoutSeconds * 1000,
      3000,
    );
  } catch (err) {
    throw new NetdoctorError(
      'lab',
      `the data plane did not pass its checks: ${last.slice(0, 8).join('; ')}`,
      {
        cause: err,
      },
    );
  }
}

export async function labUp(paths: LabPaths, versions: LabVersions, opts: UpOptions): Promise<UpResult> {
  if (!Number.isInteger(opts.nodes) || opts.nodes < 1 || opts.nodes > MAX_NODES) {
    throw new NetdoctorError('usage', `--nodes must be between 1 and ${MAX_NODES}`);
  }
  const started = Date.now();
  const previous = readState(paths.stateFile);
  if (previous?.phase === 'up' && Object.values(previous.holders).some(isAlive)) {
    throw new NetdoctorError('lab', 'the lab is already up', {
      suggestions: ['netdoctor lab down', 'netdoctor lab status'],
    });
  }
  if (previous || existsSync(paths.state)) {
    opts.log('removing the remains of an earlier lab');
    await labDown(paths);
  }
  ensureDebianPackages(opts.log);
  ensureBuilt(paths, versions, opts.log);

  const t = planTopology(opts.nodes);
  mkdirSync(paths.logs, { recursive: true });
  const proxyMode = opts.proxyMode ?? 'iptables';
  const rec = new StateRecorder(paths.stateFile, emptyState(opts.nodes, proxyMode));
  try {
    opts.log('network: switch, outside world, node namespaces');
    createUnderlay(rec);
    createOutsideWorld(rec);
    for (const n of t.nodes) createNodeNetwork(rec, n);
    startOutsideWorld(rec, paths);

    ensureHostMountPoints(rec);
    const holders = new Map<string, number>();
    for (const n of t.nodes) holders.set(n.name, await startHolder(rec, paths, n));
    const holder = (name: string) => holders.get(name)!;

    opts.log('certificates and kubeconfigs');
    const pki = makePki(paths.pki, t);
    writeKubeconfigs(paths, pki, t);
    startOutsideTls(rec, paths, pki);

    opts.log(`control plane on ${t.controlPlane.name}`);
    const cpHolder = holder(t.controlPlane.name);
    const start = (c: ControlPlaneComponent) => startControlPlaneComponent(rec, paths, pki, t, cpHolder, c);
    start('etcd');
    await waitFor(
      'etcd',
      () =>
        tryRun('nsenter', ['-t', String(cpHolder), '-n', 'curl', '-sf', 'http://127.0.0.1:2379/health'])
          .code === 0,
      60_000,
      500,
    );
    start('kube-apiserver');
    // Meanwhile: containerd on every node, and the images into each.
    for (const n of t.nodes) startContainerd(rec, paths, n, holder(n.name), versions, IMAGE_REGISTRY);
    for (const n of t.nodes) {
      await waitFor(`${n.name}'s containerd`, () => existsSync(containerdSocket(paths, n)), 30_000, 200);
    }
    opts.log('importing images into each node');
    for (const n of t.nodes) {
      importImages(paths, n, IMAGE_ARCHIVES(paths, versions));
      // netdoctor's default agent image is a public one users can mirror; the lab's toolbox
      // answers to that name too, so every command works on the lab with its defaults.
      tagImage(paths, n, `${IMAGE_REGISTRY}/toolbox:${versions.TOOLBOX_VERSION}`, DEFAULT_AGENT_IMAGE);
    }
    await waitFor(
      'the API server',
      () => tryKubectl(paths, ['get', '--raw', '/readyz']).code === 0,
      120_000,
      500,
    );
    start('kube-controller-manager');
    start('kube-scheduler');

    opts.log('kubelets');
    for (const n of t.nodes) {
      startKubelet(rec, paths, n, holder(n.name), pki, join(paths.state, `kubelet-${n.name}.kubeconfig`));
    }
    await waitFor(
      'every node to register',
      () =>
        tryKubectl(paths, ['get', 'nodes', '-o', 'name']).stdout.trim().split('\n').filter(Boolean).length ===
        t.nodes.length,
      120_000,
    );
    for (const n of t.nodes) {
      kubectl(paths, ['label', 'node', n.name, '--overwrite', `node-role.kubernetes.io/${n.role}=`]);
    }

    opts.log(`add-ons: kube-proxy (${proxyMode} mode), flannel, CoreDNS, kube-router`);
    const ctx = addonContext(versions, t, proxyMode);
    for (const a of ADDONS) applyManifest(paths, a.manifest(ctx));

    opts.log('waiting for nodes Ready and system pods Running');
    await waitFor(
      'every node Ready',
      () => nodesReady(paths, t.nodes.length),
      opts.timeoutSeconds * 1000,
      2000,
    );
    await waitFor(
      'every system pod Running and ready',
      () => podsSettled(paths),
      opts.timeoutSeconds * 1000,
      2000,
    );
    await waitForDataPlane(paths, opts);
    rec.update((s) => {
      s.phase = 'up';
    });
    return { topology: t, seconds: (Date.now() - started) / 1000 };
  } catch (err) {
    rec.update((s) => {
      s.phase = 'failed';
    });
    throw new NetdoctorError('lab', 'lab up did not finish', {
      cause: err,
      suggestions: [`logs: ${paths.logs}`, 'netdoctor lab down  (removes what was made)'],
    });
  }
}
