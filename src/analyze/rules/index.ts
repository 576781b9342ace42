import type { Rule } from '../rule.ts';
import { cniAgentNotReady } from './cni-agent-not-ready.ts';
import { cniAgentStalled } from './cni-agent-stalled.ts';
import { cniBridgeAddressMismatch } from './cni-bridge-address-mismatch.ts';
import { cniBgpPeers } from './cni-calico-bgp-peers.ts';
import { cniAgentHealth } from './cni-cilium-status.ts';
import { cniConfigMissing } from './cni-config-missing.ts';
import { cniDaemonsetMissing } from './cni-daemonset-missing.ts';
import { cniRoutesMissing } from './cni-routes-missing.ts';
import { dnsConfigInvalid } from './dns-config-invalid.ts';
import { dnsCorednsNotReady } from './dns-coredns-not-ready.ts';
import { dnsCorednsPods } from './dns-coredns-pods.ts';
import { dnsExternalProbeFailed } from './dns-external-probe-failed.ts';
import { dnsProbeFailed } from './dns-probe-failed.ts';
import { dnsServiceNoEndpoints } from './dns-service-no-endpoints.ts';
import { dnsUpstreamUnreachable } from './dns-upstream-unreachable.ts';
import { networkCidrOverlap } from './network-cidr-overlap.ts';
import { nodeBridgeNfDisabled } from './node-bridge-nf-disabled.ts';
import { nodeIpForwardDisabled } from './node-ip-forward-disabled.ts';
import { nodeIptablesBackendMixed } from './node-iptables-backend-mixed.ts';
import { nodeMasqueradeMissing } from './node-masquerade-missing.ts';
import { nodeNotReady } from './node-not-ready.ts';
import { overlayFdbMissing } from './overlay-fdb-missing.ts';
import { overlayMtuMismatch } from './overlay-mtu-mismatch.ts';
import { overlayPortBlocked } from './overlay-port-blocked.ts';
import { overlayVxlanNoTraffic } from './overlay-vxlan-no-traffic.ts';
import { policyDnsEgressBlocked } from './policy-dns-egress-blocked.ts';
import { policySelectorMatchesNothing } from './policy-selector-matches-nothing.ts';
import { policyTrafficBlocked } from './policy-traffic-blocked.ts';
import { probeExternalFailed } from './probe-external-failed.ts';
import { probeLargePacketsFailed } from './probe-large-packets-failed.ts';
import { probeLatencyOutlier } from './probe-latency-outlier.ts';
import { probeNodeIsolated } from './probe-node-isolated.ts';
import { probeNodeportFailed } from './probe-nodeport-failed.ts';
import { probePodStartFailed } from './probe-pod-start-failed.ts';
import { probePodToPodFailed } from './probe-pod-to-pod-failed.ts';
import { probeServiceFailed } from './probe-service-failed.ts';
import { probeTlsFailed } from './probe-tls-failed.ts';
import { proxyNotReady } from './proxy-not-ready.ts';
import { proxyPodRestarts } from './proxy-pod-restarts.ts';
import { proxyRulesMissing } from './proxy-rules-missing.ts';
import { proxyStaleRuleset } from './proxy-stale-ruleset.ts';
import { serviceEndpointsEmpty } from './service-endpoints-empty.ts';
import { serviceEndpointsNotReady } from './service-endpoints-not-ready.ts';
import { serviceNoEndpoints } from './service-no-endpoints.ts';

/**
 * Every analysis rule, by layer from the node up (node, cni, overlay, proxy, dns, policy,
 * service), then the probe symptom rules. One import and one entry per rule file; a rule not
 * listed here does not run. Findings are sorted afterwards (severity, layer); the report's
 * per-rule outcomes keep this order.
 */
import { tlsCertificateExpiring } from './tls-certificate-expiring.ts';
import { tlsCertificateInvalid } from './tls-certificate-invalid.ts';
export const RULES: Rule[] = [
  // node
  nodeNotReady,
  networkCidrOverlap,
  nodeIpForwardDisabled,
  nodeBridgeNfDisabled,
  nodeMasqueradeMissing,
  nodeIptablesBackendMixed,
  // cni
  cniDaemonsetMissing,
  cniAgentNotReady,
  cniAgentStalled,
  cniBgpPeers,
  cniAgentHealth,
  cniConfigMissing,
  cniRoutesMissing,
  cniBridgeAddressMismatch,
  // overlay
  overlayFdbMissing,
  overlayPortBlocked,
  overlayMtuMismatch,
  overlayVxlanNoTraffic,
  // proxy
  proxyNotReady,
  proxyPodRestarts,
  proxyRulesMissing,
  proxyStaleRuleset,
  // dns
  dnsCorednsNotReady,
  dnsCorednsPods,
  dnsServiceNoEndpoints,
  dnsConfigInvalid,
  dnsUpstreamUnreachable,
  dnsProbeFailed,
  dnsExternalProbeFailed,
  // policy
  policyDnsEgressBlocked,
  policyTrafficBlocked,
  policySelectorMatchesNothing,
  // service
  serviceNoEndpoints,
  serviceEndpointsNotReady,
  serviceEndpointsEmpty,
  tlsCertificateInvalid,
  tlsCertificateExpiring,
  // probe symptoms: what the probes saw fail, explained by the causes above
  probePodToPodFailed,
  probeNodeIsolated,
  probeLargePacketsFailed,
  probeLatencyOutlier,
  probeServiceFailed,
  probeNodeportFailed,
  probeExternalFailed,
  probeTlsFailed,
  probePodStartFailed,
];
