/**
 * The ids of netdoctor's repair steps. Rules name them in a cause's `remediation`, and the
 * planner finds the step by them, so an id is stable forever: a new step adds an id, none is
 * ever renamed. A union, not a string, so a mistyped id fails to compile instead of planning
 * nothing.
 */
export const STEP_IDS = [
  'restart-kubelet',
  'enable-ip-forward',
  'enable-bridge-nf',
  'align-iptables-backend',
  'restore-masquerade',
  'allow-overlay-port',
  'delete-firewall-rule',
  'reset-cni-bridge',
  'reinstall-cni',
  'restart-cni-agent',
  'fix-overlay-mtu',
  'restart-kube-proxy',
  'scale-coredns',
  'restart-coredns',
  'fix-coredns-upstream',
  'fix-corefile',
  'allow-dns-egress',
  'add-policy-allow',
  'fix-policy-selector',
  'fix-service-selector',
] as const;

/** One repair step's id. */
export type StepId = (typeof STEP_IDS)[number];

const KNOWN: ReadonlySet<string> = new Set(STEP_IDS);

/** Whether a string read from outside (a bundle's report, a flag) names a repair step. */
export function isStepId(s: string): s is StepId {
  return KNOWN.has(s);
}
