/**
 * Applying a planned emergency bypass: confirm, check nothing moved since the plan, write the
 * fix directory (exact backups, record, audit log) before the first change, create the bypass
 * in every namespace, verify, and delete it again if the verification fails (exit 4).
 */
import type { RepairPort } from '../../cluster/port.ts';
import { NetdoctorError } from '../../core/errors.ts';
import { errText } from '../step-kit.ts';
import { BYPASS_NAME } from './bypass-policy.ts';
import { addedLines, changedLines, namespaceDrift } from './drift.ts';
import { auditTo, writeEmergencyFixDir } from './fix-dir.ts';
import { api, type EmergencyIo, readLivePolicies } from './live.ts';
import type { EmergencyPlan } from './plan.ts';
import { canonicalPolicy } from './policy-canon.ts';

/** How an emergency bypass run ended (a failure is a NetdoctorError, exit 4). */
export type EmergencyResult =
  | { status: 'declined' }
  | { status: 'applied'; fixDir: string; revertCommand: string };

/** What is not as planned in the live namespaces (empty: the bypass is in and nothing else moved). */
async function notAsPlanned(port: RepairPort, plan: EmergencyPlan, expectBypass: boolean): Promise<string[]> {
  const { live } = await readLivePolicies(
    port,
    plan.namespaces.map((n) => n.namespace),
  );
  const problems: string[] = [];
  for (const n of plan.namespaces) {
    const policies = live.get(n.namespace);
    if (!policies) {
      problems.push(`namespace ${n.namespace} is gone`);
      continue;
    }
    const d = namespaceDrift(n, policies);
    problems.push(...changedLines(d), ...addedLines(d));
    const bypass = policies.find((p) => p.metadata.name === BYPASS_NAME);
    if (expectBypass) {
      if (!bypass) problems.push(`${n.namespace}/${BYPASS_NAME} is not there`);
      else if (canonicalPolicy(bypass) !== canonicalPolicy(n.bypass))
        problems.push(`${n.namespace}/${BYPASS_NAME} is not as planned`);
    } else if (bypass) problems.push(`${n.namespace}/${BYPASS_NAME} already exists`);
  }
  return problems;
}

/** Applies a plan from `planEmergency`: see the file comment for the order of things. */
export async function applyEmergency(
  port: RepairPort,
  plan: EmergencyPlan,
  io: EmergencyIo,
): Promise<EmergencyResult> {
  const namespaces = plan.namespaces.map((n) => n.namespace);
  if (!io.nonInteractive && io.confirm) {
    if (!(await io.confirm(`apply the allow-all bypass to ${namespaces.join(', ')}?`))) {
      io.out('declined: nothing was changed\n');
      return { status: 'declined' };
    }
  }
  // The backups must be what was there when the bypass went in: a policy edited while the
  // person read the plan stops the run here, before any change.
  const moved = await notAsPlanned(port, plan, false);
  if (moved.length > 0)
    throw new NetdoctorError(
      'repair-failed',
      `the namespace's policies changed since the plan; nothing was changed:\n  ${moved.join('\n  ')}`,
      { suggestions: ['run the same command again'] },
    );

  const now = io.now ?? (() => new Date());
  const audit = auditTo(plan.fixDir, now);
  await writeEmergencyFixDir(plan.fixDir, plan.record, plan.namespaces, audit);
  await audit({ event: 'planned', namespaces, revert: plan.revertCommand });

  const created: string[] = [];
  const undo = async (): Promise<string> => {
    const done: string[] = [];
    for (const ns of created.reverse()) {
      await api(port, `delete ${ns}/${BYPASS_NAME}`, () =>
        port.deleteObject('NetworkPolicy', ns, BYPASS_NAME),
      );
      await audit({ event: 'rollback', target: `NetworkPolicy ${ns}/${BYPASS_NAME}`, command: 'delete' });
      done.push(`deleted ${ns}/${BYPASS_NAME}`);
    }
    return done.join('; ') || 'nothing was created';
  };
  const failed = async (why: string, cause?: unknown): Promise<never> => {
    const rb = await undo().then(
      (d) => `rolled back: ${d}`,
      (err: unknown) => `ROLLBACK FAILED: ${errText(err)}`,
    );
    throw new NetdoctorError('repair-failed', `${why}; ${rb}`, {
      ...(cause === undefined ? {} : { cause }),
      suggestions: [`backups and audit log: ${plan.fixDir}`, `if anything is left: ${plan.revertCommand}`],
    });
  };

  for (const n of plan.namespaces) {
    try {
      await port.createObject('NetworkPolicy', n.namespace, n.bypass);
    } catch (err) {
      await audit({
        event: 'apply-failed',
        target: `NetworkPolicy ${n.namespace}/${BYPASS_NAME}`,
        error: errText(err),
      });
      return failed(`creating ${n.namespace}/${BYPASS_NAME} failed: ${errText(err)}`, err);
    }
    created.push(n.namespace);
    await audit({
      event: 'applied',
      target: `NetworkPolicy ${n.namespace}/${BYPASS_NAME}`,
      command: 'create',
      after: n.bypass,
      result: `created; revert: ${plan.revertCommand}`,
    });
    io.out(`created NetworkPolicy ${n.namespace}/${BYPASS_NAME}\n`);
  }

  const problems = await notAsPlanned(port, plan, true).catch((err: unknown) => [errText(err)]);
  await audit({
    event: 'verify',
    outcome: problems.length === 0 ? { status: 'verified' } : { status: 'failed', reason: problems },
  });
  if (problems.length > 0) return failed(`the bypass did not verify: ${problems.join('; ')}`);
  io.out(
    `verified: the bypass is in place in ${namespaces.join(', ')}, and their ${plan.namespaces.reduce((k, n) => k + n.policies.length, 0)} other policy(s) equal the backup\n`,
  );
  return { status: 'applied', fixDir: plan.fixDir, revertCommand: plan.revertCommand };
}
