/** `lab break` and `lab heal`: picks the fault, builds its context, records it in the state. */
import { NetdoctorError } from '../core/errors.ts';
import { addonContext } from './addons/context.ts';
import { ADDONS } from './addons/index.ts';
import type { Fault, FaultContext } from './faults/fault.ts';
import { FAULTS } from './faults/index.ts';
import { applyManifest, kubectl, tryKubectl } from './kubectl.ts';
import type { LabPaths } from './paths.ts';
import { run, tryRun } from './shell.ts';
import { readState, StateRecorder } from './state.ts';
import { type LabNode, planTopology } from './topology.ts';
import { loadVersions } from './versions.ts';

export function listFaults(): { id: string; summary: string; expectedRootCause: string; scope: string }[] {
  return FAULTS.map((f) => ({
    id: f.id,
    summary: f.summary,
    expectedRootCause: f.expectedRootCause,
    scope: f.scope,
  }));
}

function findFault(id: string): Fault {
  const f = FAULTS.find((x) => x.id === id);
  if (!f) {
    throw new NetdoctorError('usage', `no fault named ${id}`, { suggestions: ['netdoctor lab faults'] });
  }
  return f;
}

function context(paths: LabPaths, nodeName: string | undefined): { ctx: FaultContext; rec: StateRecorder } {
  const state = readState(paths.stateFile);
  if (state?.phase !== 'up') {
    throw new NetdoctorError('lab', 'the lab is not up', { suggestions: ['netdoctor lab up'] });
  }
  const t = planTopology(state.nodeCount);
  const workers = t.nodes.filter((n) => n.role === 'worker');
  const node = nodeName ? t.nodes.find((n) => n.name === nodeName) : (workers[0] ?? t.controlPlane);
  if (!node) throw new NetdoctorError('usage', `no lab node named ${nodeName}`);
  const peer =
    t.nodes.find((n) => n !== node && n.role === 'worker') ?? t.nodes.find((n) => n !== node) ?? node;
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
      applyManifest(paths, a.manifest(addonContext(versions, t)));
    },
  };
  return { ctx, rec: new StateRecorder(paths.stateFile, state) };
}

export async function breakFault(
  paths: LabPaths,
  id: string,
  nodeName?: string,
): Promise<{ id: string; node?: string }> {
  const fault = findFault(id);
  const { ctx, rec } = context(paths, nodeName);
  if (rec.state.faults.some((f) => f.id === id)) {
    throw new NetdoctorError('lab', `${id} is already in force`, { suggestions: ['netdoctor lab heal'] });
  }
  const data = await fault.inject(ctx);
  const node = fault.scope === 'node' ? ctx.node.name : undefined;
  rec.update((s) => s.faults.push(node === undefined ? { id, data } : { id, node, data }));
  return node === undefined ? { id } : { id, node };
}

/** A fault whose heal left something behind, even after a second heal. */
export interface Residue {
  fault: string;
  left: string[];
}

/**
 * Heals every fault in force, newest first, then proves each is gone (its `residue` check); a
 * fault that left something is healed once more. A fault still leaving residue stays recorded
 * in the state (a later heal tries again) and is returned with what is left, so a caller can
 * charge that fault alone instead of the next one.
 */
export async function healFaults(paths: LabPaths): Promise<{ healed: string[]; residue: Residue[] }> {
  const state = readState(paths.stateFile);
  const healed: string[] = [];
  const residue: Residue[] = [];
  for (const f of [...(state?.faults ?? [])].reverse()) {
    const { ctx, rec } = context(paths, f.node);
    const fault = findFault(f.id);
    await fault.heal(ctx, f.data);
    let left = await settledResidue(fault, ctx, f.data);
    if (left.length > 0) {
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
