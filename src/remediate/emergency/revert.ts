/**
 * `fix --revert <fix-dir>`: reads the fix directory's exact backups, restores every backed-up
 * policy that changed or vanished, deletes the bypass, and verifies that each namespace's
 * policies equal the backup (name, labels, annotations and spec as canonical JSON). Everything
 * it does goes into the same fix directory's audit log. A second run finds nothing to do.
 */
import type { RepairPort } from '../../cluster/port.ts';
import { NetdoctorError } from '../../core/errors.ts';
import { errText, sleep } from '../step-kit.ts';
import { BYPASS_NAME } from './bypass-policy.ts';
import { changedLines } from './drift.ts';
import { auditTo, readEmergencyFixDir } from './fix-dir.ts';
import { api, type EmergencyIo, readLivePolicies } from './live.ts';
import { renderRevertPlan } from './render.ts';
import { planRevert, type RevertAction, type RevertPlan } from './revert-plan.ts';

/** How a revert ended (a refusal or failure is a NetdoctorError). */
export type RevertResult =
  | { status: 'dry-run' }
  | { status: 'declined' }
  | { status: 'reverted'; changed: number; leftAlone: string[] };

async function livePlan(
  port: RepairPort,
  backups: Awaited<ReturnType<typeof readEmergencyFixDir>>['backups'],
): Promise<RevertPlan> {
  const { live } = await readLivePolicies(
    port,
    backups.map((b) => b.namespace),
  );
  const r = planRevert(backups, live);
  if (r.status === 'refused')
    throw new NetdoctorError(
      'repair-failed',
      `cannot revert; nothing was changed:\n  ${r.reasons.join('\n  ')}`,
    );
  return r.plan;
}

/** How long a replaced policy may take to be gone before it is created again. */
const DELETE_WAIT_MS = 30_000;

async function runAction(port: RepairPort, a: RevertAction): Promise<string> {
  if (a.type === 'delete-bypass') {
    await api(port, `delete ${a.namespace}/${BYPASS_NAME}`, () =>
      port.deleteObject('NetworkPolicy', a.namespace, BYPASS_NAME),
    );
    return `deleted the bypass ${a.namespace}/${BYPASS_NAME}`;
  }
  if (a.how === 'replace') {
    // The port has no replace for policies: delete, wait until it is gone (a finalizer may
    // hold it), create. The bypass is still in force meanwhile (restores run first).
    await api(port, `delete ${a.namespace}/${a.name}`, () =>
      port.deleteObject('NetworkPolicy', a.namespace, a.name),
    );
    const end = Date.now() + DELETE_WAIT_MS;
    while (await port.readObject('NetworkPolicy', a.namespace, a.name)) {
      if (Date.now() > end)
        throw new Error(
          `${a.namespace}/${a.name} is still there ${DELETE_WAIT_MS / 1000} s after its deletion`,
        );
      await sleep(500);
    }
  }
  await api(port, `create ${a.namespace}/${a.name}`, () =>
    port.createObject('NetworkPolicy', a.namespace, a.body),
  );
  return `${a.how === 'create' ? 'created' : 'replaced'} ${a.namespace}/${a.name} from the backup`;
}

/** Reverts the bypass recorded in `fixDir` (absolute); `dryRun` prints the plan and changes nothing. */
export async function revertEmergency(
  port: RepairPort,
  fixDir: string,
  io: EmergencyIo & { dryRun: boolean },
): Promise<RevertResult> {
  const { record, backups } = await readEmergencyFixDir(fixDir);
  if (record.server !== port.target.server)
    throw new NetdoctorError(
      'usage',
      `--revert: ${fixDir} was made on ${record.server}, and this run talks to ${port.target.server}`,
      { path: fixDir, suggestions: ['pass the --kubeconfig and --context of that cluster'] },
    );
  const plan = await livePlan(port, backups);
  io.out(renderRevertPlan(plan));
  if (io.dryRun) {
    io.out('dry run: nothing was changed\n');
    return { status: 'dry-run' };
  }
  if (plan.actions.length > 0 && !io.nonInteractive && io.confirm) {
    if (!(await io.confirm('revert the emergency bypass?'))) {
      io.out('declined: nothing was changed\n');
      return { status: 'declined' };
    }
  }
  const audit = auditTo(fixDir, io.now ?? (() => new Date()));
  await audit({ event: 'revert-planned', actions: plan.actions.length });
  for (const a of plan.actions) {
    const target = `NetworkPolicy ${a.namespace}/${a.type === 'restore' ? a.name : BYPASS_NAME}`;
    try {
      const done = await runAction(port, a);
      await audit({
        event: 'reverted',
        target,
        command: a.type === 'restore' ? a.how : 'delete',
        result: done,
      });
      io.out(`${done}\n`);
    } catch (err) {
      await audit({ event: 'revert-failed', target, error: errText(err) });
      throw new NetdoctorError('repair-failed', `revert stopped at ${target}: ${errText(err)}`, {
        cause: err,
        suggestions: [`run the same revert again (it is idempotent); audit log: ${fixDir}`],
      });
    }
  }

  const after = await livePlan(port, backups);
  const problems = after.drift.flatMap((d) => [
    ...(d.bypass !== 'absent' ? [`${d.namespace}/${BYPASS_NAME} is still there`] : []),
    ...changedLines(d),
  ]);
  await audit({
    event: 'revert-verify',
    outcome: problems.length === 0 ? { status: 'verified' } : { status: 'failed', reason: problems },
  });
  if (problems.length > 0)
    throw new NetdoctorError('repair-failed', `the revert did not verify:\n  ${problems.join('\n  ')}`, {
      suggestions: [`run the same revert again; audit log: ${fixDir}`],
    });
  const leftAlone = after.drift.flatMap((d) => d.added.map((n) => `${d.namespace}/${n}`));
  const total = backups.reduce((k, b) => k + b.policies.length, 0);
  io.out(
    `verified: no bypass left, and the ${total} backed-up policy(s) equal the backup (name, labels, annotations, spec)\n`,
  );
  return { status: 'reverted', changed: plan.actions.length, leftAlone };
}
