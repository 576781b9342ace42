/** PRODUCT.md's fault catalog, in its order. */
import { cniBridgeWrongAddress } from './cni-bridge-wrong-address.ts';
import { corednsUpstreamUnreachable } from './coredns-upstream-unreachable.ts';
import { dnsEgressBlockedByPolicy } from './dns-egress-blocked-by-policy.ts';
import type { Fault } from './fault.ts';
import { flannelAgentStalled } from './flannel-agent-stalled.ts';
import { flannelDaemonsetDeleted } from './flannel-daemonset-deleted.ts';
import { ipForwardDisabled } from './ip-forward-disabled.ts';
import { iptablesBackendMixed } from './iptables-backend-mixed.ts';
import { kubeProxyCrashloop } from './kube-proxy-crashloop.ts';
import { masqueradeRemoved } from './masquerade-removed.ts';
import { overlayMtuMismatch } from './overlay-mtu-mismatch.ts';
import { serviceSelectorTypo } from './service-selector-typo.ts';
import { vxlanPortBlocked } from './vxlan-port-blocked.ts';

export const FAULTS: Fault[] = [
  flannelAgentStalled,
  flannelDaemonsetDeleted,
  cniBridgeWrongAddress,
  kubeProxyCrashloop,
  corednsUpstreamUnreachable,
  ipForwardDisabled,
  masqueradeRemoved,
  vxlanPortBlocked,
  overlayMtuMismatch,
  dnsEgressBlockedByPolicy,
  serviceSelectorTypo,
  iptablesBackendMixed,
];
