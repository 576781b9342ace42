/** Mixed iptables backends: which side to keep is the node owner's call (seed 001 switches alternatives). */
import { manualStep } from '../manual-step.ts';

export const alignIptablesBackend = manualStep({
  id: 'align-iptables-backend',
  title: 'Align the iptables backend',
  phase: 'system',
  order: 12,
  handles: ['node.iptables-backend-mixed'],
  reason: (i) =>
    `not automated yet: removing the stray backend's rules needs the owner's review (${i.causes.map((c) => c.summary).join('; ')})`,
  commands: (i) =>
    i.causes.map(
      (c) =>
        `# on ${c.subject.name}: iptables-legacy-save > legacy-backup.rules; review, then flush the stray legacy rules`,
    ),
});
