/** The lab's faults: PRODUCT.md's catalog, in its order, then the faults of kube-proxy's nftables mode. */
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
import { nftServiceEntryMissing } from './nft-service-entry-missing.ts';
import { nftTableDeleted } from './nft-table-deleted.ts';
import { overlayMtuMismatch } from './overlay-mtu-mismatch.ts';
import { serviceSelectorTypo } from './service-selector-typo.ts';
import { staleIptablesAfterSwitch } from './stale-iptables-after-switch.ts';
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

/** Shapes that exist only where kube-proxy runs in nftables mode (`lab up --proxy-mode nftables`). */
export const NFTABLES_FAULTS: Fault[] = [nftTableDeleted, nftServiceEntryMissing, staleIptablesAfterSwitch];

/** Every fault `lab break` knows, catalog first. */
export const ALL_FAULTS: Fault[] = [...FAULTS, ...NFTABLES_FAULTS];
