/** `lab break` and `lab heal`: picks the fault, builds its context, records it in the state. */
import { NetdoctorError } from '../core/errors.ts';
import { addonContext } from './addons/context.ts';
import { ADDONS } from './addons/index.ts';
import type { Fault, FaultContext } from './faults/fault.ts';
import { ALL_FAULTS, FAULTS } from './faults/index.ts';
import { applyManifest, kubectl, tryKubectl } from './kubectl.ts';
import type { LabPaths } from './paths.ts';
import { type LabProxyMode, labProxyMode } from './proxy-mode.ts';
import { type GroundTruth, generateFault, seedOfFaultId } from './random/generate.ts';
import { SHAPES } from './random/shapes/index.ts';
import { run, tryRun } from './shell.ts';
import { type LabState, readState, requireUpState, StateRecorder } from './state.ts';
import { type LabNode, planTopology } from './topology.ts';
import { loadVersions } from './versions.ts';

/** The lab's faults: the catalog's, or all (`lab break` takes any; some need nftables mode). */
export function listFaults(which: 'catalog' | 'all' = 'all'): {
  id: string;
  summary: string;
  expectedRootCause: string;
  scope: string;
  proxyMode?: LabProxyMode;
}[] {
  return (which === 'catalog' ? FAULTS : ALL_FAULTS).map((f) => ({
    id: f.id,
    summary: f.summary,
    expectedRootCause: f.expectedRootCause,
    scope: f.scope,
    ...(f.proxyMode ? { proxyMode: f.proxyMode } : {}),
  }));
}

/** A catalog fault, or a generated one (`random-<seed>`) with the node and peer its seed picks. */
interface Resolved {
  fault: Fault;
  node?: string;
  peer?: string;
}

function findFault(id: string, nodeCount: number): Resolved {
  const seed = seedOfFaultId(id);
  if (seed !== undefined) {
    const g = generateFault(seed, planTopology(nodeCount));
    return { fault: g.fault, node: g.node.name, peer: g.peer.name };
  }
  const f = ALL_FAULTS.find((x) => x.id === id);
  if (!f) {
    throw new NetdoctorError('usage', `no fault named ${id}`, { suggestions: ['netdoctor lab faults'] });
  }
  return { fault: f };
}

function upState(paths: LabPaths): LabState {
  return requireUpState(paths.stateFile);
}

function context(
  paths: LabPaths,
  nodeName: string | undefined,
  peerName?: string,
): { ctx: FaultContext; rec: StateRecorder } {
  const state = upState(paths);
  const t = planTopology(state.nodeCount);
  const workers = t.nodes.filter((n) => n.role === 'worker');
  const node = nodeName ? t.nodes.find((n) => n.name === nodeName) : (workers[0] ?? t.controlPlane);
  if (!node) throw new NetdoctorError('usage', `no lab node named ${nodeName}`);
  const peer =
    (peerName ? t.nodes.find((n) => n.name === peerName) : undefined) ??
    t.nodes.find((n) => n !== node && n.role === 'worker') ??
    t.nodes.find((n) => n !== node) ??
    node;
  const holderOf = (n: LabNode) => {
    const pid = state.holders[n.name];
    if (pid === undefined) throw new NetdoctorError('lab', `${n.name} has no running holder`);
    return String(pid);
  };
  const versions = loadVersions();
  const ctx: FaultContext = {
    paths,
    topology: t,
    node,
    peer,
    onNode: (n, script) => run('nsenter', ['-t', holderOf(n), '-m', '-n', '--', 'sh', '-c', script]),
    tryOnNode: (n, script) => tryRun('nsenter', ['-t', holderOf(n), '-m', '-n', '--', 'sh', '-c', script]),
    onSwitch: (script) => run('ip', ['netns', 'exec', 'ndlab-net', 'sh', '-c', script]),
    kubectl: (args, input) => kubectl(paths, args, input === undefined ? {} : { input }),
    tryKubectl: (args) => tryKubectl(paths, args),
    reapplyAddon: (id) => {
      const a = ADDONS.find((x) => x.id === id);
      if (!a) throw new NetdoctorError('internal', `no add-on ${id}`);
      applyManifest(paths, a.manifest(addonContext(versions, t, labProxyMode(state))));
    },
  };
  return { ctx, rec: new StateRecorder(paths.stateFile, state) };
}

export async function breakFault(
  paths: LabPaths,
  id: string,
  nodeName?: string,
): Promise<{ id: string; node?: string }> {
  const resolved = findFault(id, upState(paths).nodeCount);
  const { fault } = resolved;
  const { ctx, rec } = context(paths, resolved.node ?? nodeName, resolved.peer);
  if (rec.state.faults.some((f) => f.id === id)) {
    throw new NetdoctorError('lab', `${id} is already in force`, { suggestions: ['netdoctor lab heal'] });
  }
  const mode = labProxyMode(rec.state);
  if (fault.proxyMode !== undefined && fault.proxyMode !== mode) {
    throw new NetdoctorError(
      'lab',
      `${id} exists only where kube-proxy runs in ${fault.proxyMode} mode; this lab runs ${mode} mode`,
      {
        suggestions: ['netdoctor lab down', `netdoctor lab up --proxy-mode ${fault.proxyMode}`],
      },
    );
  }
  const data = await fault.inject(ctx);
  const node = fault.scope === 'node' ? ctx.node.name : undefined;
  rec.update((s) => s.faults.push(node === undefined ? { id, data } : { id, node, data }));
  return node === undefined ? { id } : { id, node };
}

/** The randomized generator's shapes: what `lab break --random` draws from. */
export function listShapes(): { id: string; layer: string; category: string; scope: string }[] {
  return SHAPES.map((s) => ({ id: s.id, layer: s.layer, category: s.category, scope: s.scope }));
}

/** A generated fault in force: its id for `heal`, what it did, and what a right diagnosis says. */
export interface BrokenRandom {
  id: string;
  seed: number;
  node: string;
  peer: string;
  summary: string;
  truth: GroundTruth;
}

/** Breaks the lab with the fault `seed` generates; `lab heal` undoes it like any other. */
export async function breakRandom(paths: LabPaths, seed: number): Promise<BrokenRandom> {
  const g = generateFault(seed, planTopology(upState(paths).nodeCount));
  await breakFault(paths, g.fault.id);
  return {
    id: g.fault.id,
    seed,
    node: g.node.name,
    peer: g.peer.name,
    summary: g.fault.summary,
    truth: g.truth,
  };
}

/** A fault whose heal left something behind, even after a second heal. */
export interface Residue {
  fault: string;
  left: string[];
}

/**
 * Heals every fault in force, newest first, then proves each is gone (its `residue` check); a
 * fault that left something, or a node fault whose residue comes back within a few seconds (a
 * controller restoring a table it read before the heal), is healed again, at most twice more.
 * A fault still leaving residue stays recorded
 * in the state (a later heal tries again) and is returned with what is left, so a caller can
 * charge that fault alone instead of the next one.
 */
export async function healFaults(paths: LabPaths): Promise<{ healed: string[]; residue: Residue[] }> {
  const state = readState(paths.stateFile);
  const healed: string[] = [];
  const residue: Residue[] = [];
  for (const f of [...(state?.faults ?? [])].reverse()) {
    const resolved = findFault(f.id, state?.nodeCount ?? 0);
    const { fault } = resolved;
    const { ctx, rec } = context(paths, resolved.node ?? f.node, resolved.peer);
    await fault.heal(ctx, f.data);
    let left = await settledResidue(fault, ctx, f.data);
    for (let again = 0; again < 2; again++) {
      if (left.length === 0 && fault.scope === 'node') left = await reappeared(fault, ctx, f.data);
      if (left.length === 0) break;
      await fault.heal(ctx, f.data);
      left = await settledResidue(fault, ctx, f.data);
    }
    if (left.length > 0) {
      residue.push({ fault: f.id, left });
      continue;
    }
    rec.update((s) => {
      s.faults = s.faults.filter((x) => x.id !== f.id);
    });
    healed.push(f.id);
  }
  return { healed, residue };
}

/**
 * How long a healed node fault is watched for coming back. kube-router's policy controller
 * rewrites the whole filter table from a copy it read moments earlier (iptables-save, then
 * iptables-restore): a rule deleted in between is restored with the rest, seconds after a check
 * that found it gone, and the node stays broken with nothing recorded against it.
 */
const REAPPEAR_WATCH_MS = 8000;

/** What of a healed fault came back within the watch, checked every 2 s (empty: nothing). */
async function reappeared(fault: Fault, ctx: FaultContext, data: Record<string, string>): Promise<string[]> {
  for (let waited = 0; waited < REAPPEAR_WATCH_MS; waited += 2000) {
    await new Promise((done) => setTimeout(done, 2000));
    const left = fault.residue(ctx, data);
    if (left.length > 0) return left;
  }
  return [];
}

/** The residue once it stops changing: controllers finish what heal set off within seconds. */
async function settledResidue(
  fault: Fault,
  ctx: FaultContext,
  data: Record<string, string>,
): Promise<string[]> {
  let left = fault.residue(ctx, data);
  for (let i = 0; i < 10 && left.length > 0; i++) {
    await new Promise((done) => setTimeout(done, 2000));
    left = fault.residue(ctx, data);
  }
  return left;
}
