import type { Direction, PolicyRef, Protocol } from '../flow-types.ts';

/** Where in a policy a selector sits. */
export type SelectorLocation =
  | { at: 'podSelector' }
  | {
      at: 'peer';
      direction: Direction;
      rule: number;
      peer: number;
      /** Which part selects nothing: one selector of the peer, or the combination of both. */
      field: 'podSelector' | 'namespaceSelector' | 'both';
    };

/** A policy problem found without any traffic: each kind is one lint. */
export type PolicyLint =
  | {
      kind: 'selects-nothing';
      severity: 'info';
      policy: PolicyRef;
      where: SelectorLocation;
      selector: string;
    }
  | {
      kind: 'label-typo';
      severity: 'warning';
      policy: PolicyRef;
      where: SelectorLocation;
      selector: string;
      /** The requirement that selects nothing, e.g. `app=fronted`. */
      requirement: string;
      /** What is there instead, e.g. `app=frontend`. */
      suggestion: string;
      /** How many pods (or namespaces, for a namespaceSelector) the suggestion would select. */
      wouldSelect: number;
    }
  | {
      kind: 'dns-egress-blocked';
      /** error when UDP 53 is denied; warning when only TCP 53 is (large answers fail). */
      severity: 'error' | 'warning';
      namespace: string;
      isolatingPolicies: PolicyRef[];
      /** Pods of the namespace whose egress to cluster DNS is denied. */
      pods: string[];
      deniedProtocols: Protocol[];
      /** What DNS was taken to be, e.g. `Service kube-system/kube-dns (10.96.0.10)`. */
      dnsTarget: string;
    }
  | {
      kind: 'namespace-unreachable';
      severity: 'warning';
      namespace: string;
      isolatingPolicies: PolicyRef[];
      pods: number;
    };

export type PolicyLintKind = PolicyLint['kind'];

/** `ingress[0].from[1].namespaceSelector`, or `spec.podSelector`. */
export function describeLocation(l: SelectorLocation): string {
  if (l.at === 'podSelector') return 'spec.podSelector';
  const peers = l.direction === 'ingress' ? 'from' : 'to';
  const field = l.field === 'both' ? '' : `.${l.field}`;
  return `${l.direction}[${l.rule}].${peers}[${l.peer}]${field}`;
}
