/**
 * The emergency bypass: one NetworkPolicy that allows all ingress and all egress of every pod
 * of a namespace.
 *
 * Why it needs nothing deleted: NetworkPolicies are additive allow-lists. A pod selected by any
 * policy of a direction is isolated in that direction, and what it may then send or receive is
 * the union of what every policy selecting it allows; no NetworkPolicy can deny what another
 * allows. `podSelector: {}` selects every pod of the namespace, and an ingress rule `{}` (no
 * `from`, no `ports`) matches every source and port, an egress rule `{}` every destination, so
 * the union is "everything" whatever deny-all or narrow policies sit beside it. The existing
 * policies therefore stay untouched, and taking the bypass away again restores their effect.
 *
 * What it does not open: egress policies of *other* namespaces still restrict their own pods'
 * traffic to this namespace, and deny rules outside NetworkPolicy (AdminNetworkPolicy, Calico
 * or Cilium policies of their own kinds, host firewalls) outrank or bypass it.
 */
import { MANAGED_BY, OWNED_LABELS } from '../../cluster/owned-labels.ts';
import type { WirePolicy } from './policy-canon.ts';

/** The bypass policy's name, the same in every namespace. */
export const BYPASS_NAME = 'netdoctor-emergency-allow-all';

/** The label that tells netdoctor's bypass from a policy someone else named the same. */
export const EMERGENCY_LABEL = 'netdoctor.io/emergency';
export const EMERGENCY_LABEL_VALUE = 'allow-all';

/** Annotation on the bypass with the command that takes it away, for whoever finds it later. */
export const REVERT_ANNOTATION = 'netdoctor.io/revert';

/** The bypass for `namespace`, annotated with its revert command. */
export function bypassPolicy(namespace: string, revertCommand: string): WirePolicy {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: {
      name: BYPASS_NAME,
      namespace,
      labels: { [OWNED_LABELS.managedBy]: MANAGED_BY, [EMERGENCY_LABEL]: EMERGENCY_LABEL_VALUE },
      annotations: { [REVERT_ANNOTATION]: revertCommand },
    },
    spec: {
      podSelector: {},
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{}],
      egress: [{}],
    },
  };
}

/** Whether a policy is netdoctor's bypass: its name and its label (a namesake without the label is not). */
export function isBypass(p: WirePolicy): boolean {
  return p.metadata.name === BYPASS_NAME && p.metadata.labels?.[EMERGENCY_LABEL] === EMERGENCY_LABEL_VALUE;
}
