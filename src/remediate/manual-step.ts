/** A step netdoctor names but does not perform: planning it explains why and what to run by hand. */
import type { RootCauseCategory } from '../core/model.ts';
import type { StepId } from '../core/step-id.ts';
import type { Phase, RepairStep, StepInput } from './step.ts';

export interface ManualStepSpec {
  id: StepId;
  title: string;
  phase: Phase;
  order: number;
  handles: RootCauseCategory[];
  reason: (input: StepInput) => string;
  commands: (input: StepInput) => string[];
}

export function manualStep(spec: ManualStepSpec): RepairStep {
  const never = (): never => {
    throw new Error(`${spec.id} is never applied: it only plans a refusal`);
  };
  return {
    id: spec.id,
    title: spec.title,
    phase: spec.phase,
    order: spec.order,
    handles: spec.handles,
    plan: (input) => ({
      status: 'refused',
      reason: spec.reason(input),
      manualCommands: spec.commands(input),
    }),
    preconditions: () => [],
    apply: async () => never(),
    verify: async () => never(),
    rollback: async () => ({ status: 'nothing-to-undo', detail: 'never applied' }),
  };
}
