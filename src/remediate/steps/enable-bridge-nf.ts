/** Seed 001 system step: without bridge-nf, same-node Service traffic bypasses kube-proxy's rules. */
import { sysctlStep } from '../sysctl-step.ts';

export const enableBridgeNf = sysctlStep({
  id: 'enable-bridge-nf',
  title: 'Load br_netfilter and enable bridge-nf-call-iptables',
  phase: 'system',
  order: 11,
  handles: ['node.bridge-nf-disabled'],
  key: 'net.bridge.bridge-nf-call-iptables',
  value: '1',
  prepare: 'modprobe br_netfilter || true',
  persistNote:
    'runtime change only: add br_netfilter to /etc/modules-load.d and the sysctl to /etc/sysctl.d to keep it',
});
