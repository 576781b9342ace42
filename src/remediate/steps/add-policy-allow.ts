/** A denied application flow needs an allow rule its owner writes; only DNS has an emergency allow. */
import { manualStep } from '../manual-step.ts';

export const addPolicyAllow = manualStep({
  id: 'add-policy-allow',
  title: 'Add a NetworkPolicy allow rule',
  phase: 'policy',
  order: 61,
  handles: ['policy.traffic-blocked'],
  reason: (i) =>
    `netdoctor does not write application allow rules (only the opt-in emergency DNS allow): ${i.causes.map((c) => c.summary).join('; ')}`,
  commands: () => ['netdoctor policy explain --from NS/POD --to NS/POD --port PORT/PROTO'],
});
