/** A policy that selects nothing is the owner's intent to fix; netdoctor shows it, never edits it. */
import { manualStep } from '../manual-step.ts';

export const fixPolicySelector = manualStep({
  id: 'fix-policy-selector',
  title: "Fix a NetworkPolicy's selector",
  phase: 'policy',
  order: 62,
  handles: ['policy.selector-matches-nothing'],
  reason: (i) =>
    `netdoctor never edits or deletes a NetworkPolicy silently: ${i.causes.map((c) => c.summary).join('; ')}`,
  commands: (i) =>
    i.causes.map(
      (c) => `kubectl -n ${c.subject.namespace ?? 'default'} edit networkpolicy ${c.subject.name}`,
    ),
});
