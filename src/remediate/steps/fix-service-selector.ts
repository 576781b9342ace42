/** Application objects are the owner's: netdoctor shows the near-miss label, it does not edit it. */
import { manualStep } from '../manual-step.ts';

export const fixServiceSelector = manualStep({
  id: 'fix-service-selector',
  title: "Fix a Service's selector",
  phase: 'policy',
  order: 70,
  handles: ['service.no-endpoints'],
  reason: (i) =>
    `netdoctor does not edit application objects; the near-miss label is shown instead: ${i.causes.map((c) => c.summary).join('; ')}`,
  commands: (i) =>
    i.causes.map((c) => `kubectl -n ${c.subject.namespace ?? 'default'} edit service ${c.subject.name}`),
});
