/**
 * A repair step as the executor holds it: its plan's parameters as plain JSON. Tests that take a
 * plan from the planner (not from the step's own typed `plan`) call the step through this view,
 * as the executor does.
 */
import type { RepairStep } from '../../src/remediate/step.ts';

export function registered(step: RepairStep): RepairStep {
  return step;
}
