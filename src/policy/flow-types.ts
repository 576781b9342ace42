/**
 * The vocabulary of NetworkPolicy explanation: what a flow is, and the discriminated verdicts
 * `explainFlow` returns for each direction. Plain data, JSON-serialisable, so `-o json`, the
 * HTML report and the rules all read the same object.
 */

export const PROTOCOLS = ['TCP', 'UDP', 'SCTP'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

export const DIRECTIONS = ['egress', 'ingress'] as const;
/** egress is decided at the source pod, ingress at the destination pod. */
export type Direction = (typeof DIRECTIONS)[number];

export interface PodRef {
  kind: 'pod';
  namespace: string;
  name: string;
}
export interface ServiceRef {
  kind: 'service';
  namespace: string;
  name: string;
}
/** An address; if it belongs to a known pod (or a Service's ClusterIP) it is resolved to it. */
export interface IpRef {
  kind: 'ip';
  ip: string;
}

/** A question: may `from` open `port`/`protocol` on `to`? */
export interface Flow {
  from: PodRef | IpRef;
  to: PodRef | IpRef | ServiceRef;
  port: number;
  protocol: Protocol;
}

/** Names a NetworkPolicy. */
export interface PolicyRef {
  namespace: string;
  name: string;
}

/**
 * Points at one rule of a policy, and inside it at the peer and port entries that matched
 * (absent when the rule has no peers / no ports, which means "all").
 */
export interface RuleRef {
  policy: PolicyRef;
  direction: Direction;
  /** Index in spec.ingress or spec.egress. */
  rule: number;
  peer?: number;
  port?: number;
}

/** One end of an evaluated flow, as the explanation shows it. */
export type EndpointSummary =
  | {
      kind: 'pod';
      namespace: string;
      name: string;
      ip?: string;
      node?: string;
      hostNetwork: boolean;
      labels: Record<string, string>;
    }
  | { kind: 'ip'; ip: string };

/**
 * Something that almost decided the flow the other way: the rule (or policy) would have
 * allowed it if exactly one thing differed. These are the typos people stare at for hours.
 */
export type NearMiss =
  | {
      kind: 'label';
      at: RuleRef;
      selector: 'podSelector' | 'namespaceSelector';
      /** The selector's failing requirement, e.g. `app=fronted`. */
      requirement: string;
      /** What the peer actually carries for that key, e.g. `app=frontend`, or `(no app label)`. */
      actual: string;
    }
  | {
      kind: 'namespace';
      at: RuleRef;
      /** The peer's podSelector matches, but a peer without namespaceSelector only looks in the policy's namespace. */
      peerNamespace: string;
    }
  | { kind: 'port'; at: RuleRef; allowedPorts: string[] }
  | { kind: 'ip-excepted'; at: RuleRef; cidr: string; except: string }
  | {
      kind: 'policy-selector';
      /** The policy has a rule that matches the flow, but its spec.podSelector misses this pod by one label. */
      at: RuleRef;
      requirement: string;
      actual: string;
    };

/** The verdict of one direction. */
export type DirectionVerdict =
  | {
      verdict: 'allowed';
      /** No policy of this direction selects the pod: it is non-isolated and everything is allowed. */
      reason: 'not-isolated';
    }
  | {
      verdict: 'allowed';
      reason: 'rule-allows';
      isolatingPolicies: PolicyRef[];
      by: RuleRef[];
    }
  | {
      verdict: 'allowed';
      /** Policy does not apply here (hostNetwork pod, address outside the cluster, the pod's own node). */
      reason: 'not-applicable';
      note: string;
    }
  | {
      verdict: 'denied';
      reason: 'isolated-no-rule-allows';
      isolatingPolicies: PolicyRef[];
      nearMisses: NearMiss[];
    };

/** One pod-level (or address-level) flow, both directions decided. */
export interface DirectFlowExplanation {
  kind: 'direct';
  verdict: 'allowed' | 'denied';
  from: EndpointSummary;
  to: EndpointSummary;
  port: number;
  protocol: Protocol;
  egress: DirectionVerdict;
  ingress: DirectionVerdict;
  /** Caveats that apply (implementation-defined behaviour, spec notes). */
  notes: string[];
}

/** A flow to a Service, evaluated against each backing pod at its target port. */
export interface ServiceFlowExplanation {
  kind: 'service';
  /** `partial`: some backends allowed, some denied (the client sees intermittent failures). */
  verdict: 'allowed' | 'denied' | 'partial' | 'no-backends';
  service: { namespace: string; name: string; clusterIP?: string };
  port: number;
  protocol: Protocol;
  backends: DirectFlowExplanation[];
  notes: string[];
}

export type FlowExplanation =
  | DirectFlowExplanation
  | ServiceFlowExplanation
  | { kind: 'unresolved'; verdict: 'unknown'; reason: string };

export function policyKey(p: PolicyRef): string {
  return `${p.namespace}/${p.name}`;
}
