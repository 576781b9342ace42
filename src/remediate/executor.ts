/**
 * The executor consumes a Plan: preconditions of every step first, then per step confirm,
 * back up, audit, apply, verify; a failed verification rolls that step back and stops the run
 * with exit 4. `dryRun` prints the plan and touches nothing, not even a read.
 */
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NetdoctorError } from '../core/errors.ts';
import type { Plan } from './planner.ts';
import { renderLeftAlone, renderPlan } from './render-plan.ts';
import type { AppliedRecord, RepairExec, RepairStep, StepPlan, VerifyOutcome } from './step.ts';
import { errText, toYaml } from './step-kit.ts';
import { STEPS } from './steps/index.ts';

export interface ExecuteOptions {
  dryRun: boolean;
  nonInteractive: boolean;
  /** Where fix-<timestamp>/ (backups, audit.jsonl) is written: the diagnosis bundle. */
  bundleDir: string;
  out: (text: string) => void;
  /** Asks the person; only called when not non-interactive. */
  confirm?: (question: string) => Promise<boolean>;
  /** The validation suite, run after all steps; true when it passed. */
  validate?: () => Promise<boolean>;
  now?: () => Date;
  steps?: RepairStep[];
}

export type StepOutcome =
  | { step: string; status: 'verified'; detail: string }
  | { step: string; status: 'no-op'; reason: string }
  | { step: string; status: 'declined' };

export type ExecuteResult =
  | { status: 'dry-run' }
  | { status: 'done'; fixDir: string; steps: StepOutcome[]; validation: 'passed' | 'failed' | 'not-run' };

export async function executePlan(
  plan: Plan,
  exec: RepairExec,
  opts: ExecuteOptions,
): Promise<ExecuteResult> {
  if (opts.dryRun) {
    opts.out(renderPlan(plan));
    opts.out('dry run: nothing was changed\n');
    return { status: 'dry-run' };
  }
  const registry = opts.steps ?? STEPS;
  const bound = plan.steps.map((p) => {
    const step = registry.find((s) => s.id === p.step);
    if (!step) throw new NetdoctorError('internal', `plan names unknown step ${p.step}`);
    return { step, plan: p };
  });

  // Everything that can fail is checked before the first change.
  const failures: string[] = [];
  for (const { step, plan: p } of bound) {
    for (const check of step.preconditions(p)) {
      const r = await check
        .run(exec)
        .catch((err: unknown) => ({ status: 'failed' as const, reason: errText(err) }));
      if (r.status === 'failed') failures.push(`${step.id}: ${check.what}: ${r.reason}`);
    }
  }
  if (failures.length > 0) {
    throw new NetdoctorError(
      'repair-failed',
      `preconditions failed; nothing was changed:\n  ${failures.join('\n  ')}`,
      {
        suggestions: ['re-run `netdoctor diagnose` and plan again'],
      },
    );
  }

  const now = opts.now ?? (() => new Date());
  const fixDir = join(opts.bundleDir, `fix-${now().toISOString().replace(/[:.]/g, '-')}`);
  const backups = join(fixDir, 'backups');
  await mkdir(backups, { recursive: true });
  const auditPath = join(fixDir, 'audit.jsonl');
  const audit = (entry: Record<string, unknown>) =>
    appendFile(auditPath, `${JSON.stringify({ time: now().toISOString(), ...entry })}\n`);
  await writeFile(join(fixDir, 'plan.json'), `${JSON.stringify(plan, null, 2)}\n`);

  opts.out(renderLeftAlone(plan));
  const outcomes: StepOutcome[] = [];
  for (const { step, plan: p } of bound) {
    opts.out(`\n== ${p.step}: ${p.title}\n`);
    if (!opts.nonInteractive && opts.confirm) {
      opts.out(renderPlan({ ...plan, steps: [p], skipped: [], noOps: [], validate: false }));
      if (!(await opts.confirm(`apply ${p.step}?`))) {
        await audit({ step: p.step, event: 'declined' });
        outcomes.push({ step: p.step, status: 'declined' });
        continue;
      }
    }
    await backUp(exec, p, backups, audit);
    let record: AppliedRecord;
    try {
      record = await step.apply(exec, p);
    } catch (err) {
      await audit({ step: p.step, event: 'apply-failed', error: errText(err) });
      throw new NetdoctorError('repair-failed', `${p.step} failed while applying: ${errText(err)}`, {
        cause: err,
        suggestions: [`backups and audit log: ${fixDir}`],
      });
    }
    for (const a of record.status === 'applied' ? record.actions : []) {
      await audit({
        step: p.step,
        event: 'applied',
        target: a.target,
        command: a.command,
        before: a.before,
        after: a.after,
        result: a.result,
      });
    }
    if (record.status === 'no-op') {
      await audit({ step: p.step, event: 'no-op', reason: record.reason, facts: record.facts });
      opts.out(`   no-op: ${record.reason}\n`);
      outcomes.push({ step: p.step, status: 'no-op', reason: record.reason });
      continue;
    }
    const v: VerifyOutcome = await step
      .verify(exec, record, p)
      .catch((err: unknown) => ({ status: 'error' as const, error: errText(err) }));
    await audit({ step: p.step, event: 'verify', outcome: v });
    if (v.status === 'verified') {
      opts.out(`   verified: ${v.detail}\n`);
      outcomes.push({ step: p.step, status: 'verified', detail: v.detail });
      continue;
    }
    const why = v.status === 'failed' ? v.reason : v.error;
    opts.out(`   verification failed: ${why}; rolling back\n`);
    const rb = await step
      .rollback(exec, record)
      .catch((err: unknown) => ({ status: 'failed' as const, error: errText(err) }));
    await audit({ step: p.step, event: 'rollback', outcome: rb });
    throw new NetdoctorError(
      'repair-failed',
      `${p.step} did not fix what it claims (${why}); ${rb.status === 'failed' ? `ROLLBACK FAILED: ${rb.error}` : `rolled back: ${rb.detail}`}`,
      { suggestions: [`backups and audit log: ${fixDir}`] },
    );
  }

  let validation: 'passed' | 'failed' | 'not-run' = 'not-run';
  if (plan.validate && opts.validate && outcomes.some((o) => o.status === 'verified')) {
    validation = (await opts.validate()) ? 'passed' : 'failed';
    await audit({ event: 'validation', result: validation });
  }
  return { status: 'done', fixDir, steps: outcomes, validation };
}

/** Writes every object the step will change, as it is now, into backups/. */
async function backUp(
  exec: RepairExec,
  p: StepPlan,
  dir: string,
  audit: (e: Record<string, unknown>) => Promise<void>,
): Promise<void> {
  for (const o of p.objectChanges) {
    const file = join(
      dir,
      `${p.step}--${o.kind}--${o.namespace}--${o.name}.yaml`.replace(/[^A-Za-z0-9._-]/g, '_'),
    );
    let live: unknown;
    if (o.kind === 'Pod') live = await exec.port.readPod(o.namespace, o.name);
    else if (o.kind === 'NetworkPolicy')
      live = await exec.port.list('networkPolicies', { namespaces: [o.namespace] });
    else live = await exec.port.readObject(o.kind, o.namespace, o.name);
    await writeFile(file, live === undefined ? '# did not exist\n' : toYaml(live));
    await audit({ step: p.step, event: 'backup', object: `${o.kind} ${o.namespace}/${o.name}`, file });
  }
}
