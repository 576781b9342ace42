/**
 * The planner (pure): from a diagnosis and the user's options to an ordered Plan. Root causes
 * are linked to the steps that address them, steps are deduplicated and ordered as seed 001
 * says, and every root cause left alone says why (ARCHITECTURE.md principles 3 and 8).
 */
import type { PatternScore, Report, RootCause, Snapshot, Subject } from '../core/model.ts';
import type { RepairOptions, RepairStep, StepPlan } from './step.ts';
import { STEPS } from './steps/index.ts';

/** Below this confidence a root cause is a partial match: acted on only with --force. */
export const CONFIRMED_CONFIDENCE = 0.8;

export interface SkippedCause {
  category: RootCause['category'];
  subject: Subject;
  reason: string;
  manualCommands?: string[];
}

export interface NoOpStep {
  step: string;
  reason: string;
}

export interface Plan {
  pattern: PatternScore;
  steps: StepPlan[];
  skipped: SkippedCause[];
  noOps: NoOpStep[];
  /** Whether the validation suite runs after the steps (there is something to validate). */
  validate: boolean;
}

export interface PlanRequest {
  report: Report;
  snapshot: Snapshot;
  options: RepairOptions;
  /** The step registry (tests may narrow it); defaults to steps/index.ts. */
  steps?: RepairStep[];
}

function subjectText(s: Subject): string {
  return `${s.kind} ${s.namespace ? `${s.namespace}/` : ''}${s.name}`;
}

export function planRepairs(req: PlanRequest): Plan {
  const registry = req.steps ?? STEPS;
  const { report, snapshot, options } = req;
  const skipped: SkippedCause[] = [];
  const byStep = new Map<string, RootCause[]>();

  for (const rc of report.rootCauses) {
    const skip = (reason: string, manualCommands?: string[]) =>
      skipped.push({
        category: rc.category,
        subject: rc.subject,
        reason,
        ...(manualCommands ? { manualCommands } : {}),
      });
    if (rc.remediation.length === 0) {
      skip(`${rc.category}: netdoctor has no automatic repair for this; see the report's evidence`);
      continue;
    }
    if (rc.confidence < CONFIRMED_CONFIDENCE && !options.force) {
      skip(
        `${rc.category}: partial match (confidence ${rc.confidence.toFixed(2)}); re-run with --force to act on it`,
      );
      continue;
    }
    const known = rc.remediation.filter((id) => registry.some((s) => s.id === id));
    const unknown = rc.remediation.filter((id) => !known.includes(id));
    if (known.length === 0) {
      skip(`${rc.category}: no repair step implements ${unknown.join(', ')}`);
      continue;
    }
    const selected = options.only.length > 0 ? known.filter((id) => options.only.includes(id)) : known;
    if (selected.length === 0) {
      skip(
        `${rc.category}: its step ${known.join(', ')} is not selected by --only ${options.only.join(',')}`,
      );
      continue;
    }
    for (const id of selected) byStep.set(id, [...(byStep.get(id) ?? []), rc]);
  }

  const steps: StepPlan[] = [];
  const noOps: NoOpStep[] = [];
  const ordered = registry.filter((s) => byStep.has(s.id)).sort((a, b) => a.order - b.order);
  for (const step of ordered) {
    const causes = byStep.get(step.id) ?? [];
    const result = step.plan({ report, snapshot, options, causes });
    switch (result.status) {
      case 'planned':
        steps.push(result.plan);
        break;
      case 'nothing-to-do':
        noOps.push({ step: step.id, reason: result.reason });
        break;
      case 'refused':
        for (const rc of causes) {
          skipped.push({
            category: rc.category,
            subject: rc.subject,
            reason: `${rc.category} (${subjectText(rc.subject)}): ${result.reason}`,
            ...(result.manualCommands ? { manualCommands: result.manualCommands } : {}),
          });
        }
        break;
    }
  }
  return { pattern: report.pattern, steps, skipped, noOps, validate: steps.length > 0 };
}
