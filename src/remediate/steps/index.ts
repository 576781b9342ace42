/** Every repair step, one file each, in seed 001's order (the planner sorts by `order` too). */
import type { RepairStep } from '../step.ts';
import { addPolicyAllow } from './add-policy-allow.ts';
import { alignIptablesBackend } from './align-iptables-backend.ts';
import { allowDnsEgress } from './allow-dns-egress.ts';
import { allowOverlayPort } from './allow-overlay-port.ts';
import { deleteFirewallRule } from './delete-firewall-rule.ts';
import { enableBridgeNf } from './enable-bridge-nf.ts';
import { enableIpForward } from './enable-ip-forward.ts';
import { fixCorednsUpstream } from './fix-coredns-upstream.ts';
import { fixCorefile } from './fix-corefile.ts';
import { fixOverlayMtu } from './fix-overlay-mtu.ts';
import { fixPolicySelector } from './fix-policy-selector.ts';
import { fixServiceSelector } from './fix-service-selector.ts';
import { reinstallCni } from './reinstall-cni.ts';
import { resetCniBridge } from './reset-cni-bridge.ts';
import { restartCniAgent } from './restart-cni-agent.ts';
import { restartCoredns } from './restart-coredns.ts';
import { restartKubeProxy } from './restart-kube-proxy.ts';
import { restartKubelet } from './restart-kubelet.ts';
import { restoreMasquerade } from './restore-masquerade.ts';
import { scaleCoredns } from './scale-coredns.ts';

export const STEPS: RepairStep[] = [
  restartKubelet,
  enableIpForward,
  enableBridgeNf,
  alignIptablesBackend,
  restoreMasquerade,
  allowOverlayPort,
  deleteFirewallRule,
  resetCniBridge,
  reinstallCni,
  restartCniAgent,
  fixOverlayMtu,
  restartKubeProxy,
  scaleCoredns,
  restartCoredns,
  fixCorednsUpstream,
  fixCorefile,
  allowDnsEgress,
  addPolicyAllow,
  fixPolicySelector,
  fixServiceSelector,
];

export function stepById(id: string): RepairStep | undefined {
  return STEPS.find((s) => s.id === id);
}
