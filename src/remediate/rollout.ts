/**
 * `kubectl rollout restart` as a recorded change: set the pod template's restartedAt
 * annotation, remember the old value so rollback can put the template back as it was, and
 * verify by the controller's own rollout status.
 */
import type { AppliedAction, Check, ObjectChange, RepairExec, UndoAction, VerifyOutcome } from './step.ts';
import {
  pollUntil,
  RESTARTED_AT,
  restartPatch,
  rolloutState,
  templateRestartedAt,
  toYaml,
} from './step-kit.ts';

export interface RolloutTarget {
  kind: 'DaemonSet' | 'Deployment';
  namespace: string;
  name: string;
}

/** The precondition every rollout step shares: its Deployment or DaemonSet is still there. */
export function targetExists(t: RolloutTarget): Check {
  return {
    what: `${t.kind} ${t.namespace}/${t.name} exists`,
    async run(exec) {
      return (await exec.port.readObject(t.kind, t.namespace, t.name))
        ? { status: 'ok' }
        : { status: 'failed', reason: `${t.kind} ${t.namespace}/${t.name} not found` };
    },
  };
}

export function restartChange(t: RolloutTarget, diagnosed: unknown, why: string): ObjectChange {
  const before = templateRestartedAt(diagnosed);
  return {
    kind: t.kind,
    namespace: t.namespace,
    name: t.name,
    action: 'patch',
    patch: restartPatch('<time of apply>'),
    patchType: 'strategic',
    before: toYaml({ spec: { template: { metadata: { annotations: { [RESTARTED_AT]: before ?? null } } } } }),
    after: toYaml(restartPatch('<time of apply>')),
    why,
  };
}

/** Restarts the workload; returns what was done and how to undo it. */
export async function applyRestart(
  exec: RepairExec,
  t: RolloutTarget,
  now: Date,
): Promise<{ action: AppliedAction; undo: UndoAction }> {
  const live = await exec.port.readObject(t.kind, t.namespace, t.name);
  if (!live) throw new Error(`${t.kind} ${t.namespace}/${t.name} does not exist`);
  const old = templateRestartedAt(live);
  const stamp = now.toISOString();
  await exec.port.patchObject(t.kind, t.namespace, t.name, restartPatch(stamp), 'strategic');
  return {
    action: {
      target: `${t.kind} ${t.namespace}/${t.name}`,
      command: `rollout restart (${RESTARTED_AT}=${stamp})`,
      before: old ?? '(none)',
      after: stamp,
      result: 'patched',
    },
    undo: {
      type: 'patch',
      kind: t.kind,
      namespace: t.namespace,
      name: t.name,
      patch: restartPatch(old ?? null),
      patchType: 'strategic',
    },
  };
}

export function verifyRollout(exec: RepairExec, t: RolloutTarget): Promise<VerifyOutcome> {
  return pollUntil(exec, async () =>
    rolloutState(t.kind, await exec.port.readObject(t.kind, t.namespace, t.name)),
  );
}
