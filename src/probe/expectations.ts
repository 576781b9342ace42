/**
 * What should happen to each probe, kept apart from what the scenarios send (ARCHITECTURE.md
 * principle 4). A probe passes unless an entry here says otherwise; the first matching entry
 * wins. Rules compare a result's outcome with its `expect`, so an expected failure that fails is
 * not a finding and one that passes is.
 */
import type { ProbeScenario } from '../core/probe-types.ts';

export interface Expectation {
  scenario: ProbeScenario;
  /** Matches PlannedProbe.variant; absent matches every variant. */
  variant?: string;
  /** Matches when the probe stays on one node (true) or crosses nodes (false); absent: both. */
  sameNode?: boolean;
  expect: 'pass' | 'fail';
  why: string;
}

export const EXPECTATIONS: readonly Expectation[] = [
  {
    scenario: 'mtu',
    variant: 'above',
    expect: 'fail',
    why: "a don't-fragment packet one byte larger than the pod MTU allows must not get through; if it does, the MTU the overlay advertises is not the one enforced",
  },
];

/** The expectation for a probe; `pass` when no entry matches. */
export function expectationFor(
  probe: { scenario: ProbeScenario; variant?: string; sameNode?: boolean },
  table: readonly Expectation[] = EXPECTATIONS,
): 'pass' | 'fail' {
  for (const e of table) {
    if (e.scenario !== probe.scenario) continue;
    if (e.variant !== undefined && e.variant !== probe.variant) continue;
    if (e.sameNode !== undefined && e.sameNode !== probe.sameNode) continue;
    return e.expect;
  }
  return 'pass';
}
