/** Seed 001 system step: a node that does not forward drops every pod packet that crosses it. */
import { sysctlStep } from '../sysctl-step.ts';

export const enableIpForward = sysctlStep({
  id: 'enable-ip-forward',
  title: 'Turn IPv4 forwarding back on',
  phase: 'system',
  order: 10,
  handles: ['node.ip-forward-disabled'],
  key: 'net.ipv4.ip_forward',
  value: '1',
  persistNote:
    'runtime change only: also remove whatever set net.ipv4.ip_forward=0 (a file in /etc/sysctl.d) or it returns at reboot',
});
