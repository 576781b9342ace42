/** A dropped VXLAN port is a host firewall's rule; netdoctor shows it rather than editing the firewall. */
import { manualStep } from '../manual-step.ts';

export const allowOverlayPort = manualStep({
  id: 'allow-overlay-port',
  title: 'Allow the overlay UDP port between nodes',
  phase: 'system',
  order: 14,
  handles: ['overlay.port-blocked'],
  reason: (i) =>
    `not automated yet: the dropping rule belongs to the host firewall (${i.causes.map((c) => c.summary).join('; ')})`,
  commands: (i) =>
    i.causes.map(
      (c) =>
        `# on ${c.subject.name}: iptables -S INPUT | grep -E 'dport (8472|4789)'; iptables -D INPUT <that rule>`,
    ),
});
