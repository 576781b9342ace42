/**
 * netdoctor's result model: what analysis reads (Snapshot) and what it produces (Finding,
 * RootCause, Report). Everything here is plain data, JSON-serialisable, so a bundle written by
 * `diagnose` can be analyzed again offline and every renderer works from the same object.
 */
import type { ClusterState } from './cluster-types.ts';
import type { NodeDatapath } from './datapath-types.ts';
import type { ItemStates } from './item-state.ts';
import type { ReachabilityMatrix } from './policy-matrix.ts';
import type { ProbeResults } from './probe-types.ts';
import type { StepId } from './step-id.ts';

/** The root-cause vocabulary of PRODUCT.md. Extend it, never rename an entry. */
export const ROOT_CAUSE_CATEGORIES = [
  'cni.daemonset-missing',
  'cni.agent-not-ready',
  'cni.agent-stalled',
  'cni.routes-missing',
  'cni.bridge-address-mismatch',
  'cni.config-missing',
  'overlay.fdb-missing',
  'overlay.port-blocked',
  'overlay.mtu-mismatch',
  'node.ip-forward-disabled',
  'node.bridge-nf-disabled',
  'node.masquerade-missing',
  'node.iptables-backend-mixed',
  'node.not-ready',
  'proxy.not-ready',
  'proxy.rules-missing',
  'dns.coredns-not-ready',
  'dns.upstream-unreachable',
  'dns.service-no-endpoints',
  'dns.config-invalid',
  'policy.dns-egress-blocked',
  'policy.traffic-blocked',
  'policy.selector-matches-nothing',
  'service.no-endpoints',
  'service.endpoints-not-ready',
  'network.cidr-overlap',
  'node.firewall-drops-traffic',
  'node.routing-policy-wrong',
  'network.latency-outlier',
  'external.certificate-expired',
  'external.certificate-name-mismatch',
  'external.certificate-untrusted',
  'proxy.stale-ruleset',
] as const;
export type RootCauseCategory = (typeof ROOT_CAUSE_CATEGORIES)[number];

/**
 * Layers, bottom to top. A cause in a lower layer can explain symptoms in a higher one, never
 * the other way round; correlation relies on this order.
 */
export const LAYERS = ['node', 'cni', 'overlay', 'proxy', 'dns', 'policy', 'service'] as const;
export type Layer = (typeof LAYERS)[number];

export const SEVERITIES = ['critical', 'error', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** What a finding or root cause is about. `namespace` only for namespaced kinds. */
export interface Subject {
  kind:
    | 'Cluster'
    | 'Node'
    | 'Pod'
    | 'Service'
    | 'NetworkPolicy'
    | 'DaemonSet'
    | 'Deployment'
    | 'ConfigMap'
    | 'Namespace'
    /** A service outside the cluster the workloads depend on, named `host:port`. */
    | 'External';
  name: string;
  namespace?: string;
}

/**
 * One piece of proof: where it was read (a bundle path such as `nodes/worker-2/ip-route.json`
 * or `probes/results.json#dns-udp/worker-1`), what was seen and, where it makes sense, what
 * should have been seen.
 */
export interface Evidence {
  source: string;
  observed: string;
  expected?: string;
}

/**
 * Symptom kinds: the observable effects that correlation matches to causes. A finding that is
 * a symptom says which kind it is and which nodes it involves, so a node-scoped cause can
 * claim exactly the symptoms that touch its node.
 */
export const SYMPTOM_KINDS = [
  'pod-to-pod-failed',
  'cross-node-failed',
  'same-node-failed',
  'dns-failed',
  'dns-udp-failed',
  'dns-tcp-failed',
  'service-failed',
  'nodeport-failed',
  'external-failed',
  'tls-failed',
  'large-packets-failed',
  'endpoints-empty',
  'endpoints-not-ready',
  'pod-crashlooping',
  'pod-not-ready',
  'vxlan-no-traffic',
  'pod-network-failed',
] as const;
export type SymptomKind = (typeof SYMPTOM_KINDS)[number];

/**
 * What a cause claim rests on. `state`: the collected objects or datapath show the fault;
 * `probes`: probe results alone; `trace`: a failed probe traced through the datapath dies
 * at the fault; `logs`: log lines alone. Log lines outlive the fault they describe, so a
 * cause resting on logs alone is reported as a finding, never as a root cause.
 */
export const CAUSE_BASES = ['state', 'probes', 'trace', 'logs'] as const;
export type CauseBasis = (typeof CAUSE_BASES)[number];

/** A rule's conclusion that a root-cause category applies to a subject. */
export interface CauseClaim {
  category: RootCauseCategory;
  /** 0..1: how sure the rule is from its own evidence alone. */
  confidence: number;
  /** Repair step ids (remediate/steps) that address it. */
  remediation: StepId[];
  /**
   * Nodes where the cause shows, for a cause whose subject is not a Node (e.g. the nodes of
   * not-ready CoreDNS pods), so that a node-scoped cause there can explain it.
   */
  nodes?: string[];
  /** What the claim rests on; `state` when absent. */
  basis?: CauseBasis;
  /**
   * Finding ids of the symptoms this cause explains by itself, beyond what the causal graph
   * gives it: a traced cause explains the symptoms whose traces end at it.
   */
  explains?: string[];
}

/** A symptom a finding reports, with the nodes it involves (empty: cluster-wide). */
export interface SymptomClaim {
  kind: SymptomKind;
  nodes: string[];
}

/**
 * A rule's output. A finding is a cause candidate (`cause` set), a symptom (`symptom` set), or
 * plain information. Ids are stable for the same input: `<rule>/<subject-kind>/<ns>/<name>[/<detail>]`.
 */
export interface Finding {
  id: string;
  rule: string;
  layer: Layer;
  severity: Severity;
  subject: Subject;
  summary: string;
  evidence: Evidence[];
  cause?: CauseClaim;
  symptom?: SymptomClaim;
  /** Commands a person can run next to see more or fix it (read-only ones first). */
  nextCommands?: string[];
  /** For a traced cause: the traces of the failed probes that die at it (a few, as evidence). */
  traces?: FlowTrace[];
}

/** One failed probe's path through the datapath model, hop by hop, as evidence. */
export interface FlowTrace {
  /** The probe id (`probes/results.json#<id>`). */
  probe: string;
  /** `request`: the probe's own packet; `reply`: the answer on its way back. */
  direction: 'request' | 'reply';
  status: 'delivered' | 'broken' | 'unknown';
  /** One line per hop: `[ok] node: summary`. The last broken one is where the packet dies. */
  hops: string[];
}

/** A root cause: a cause-finding promoted by correlation, with the symptoms it explains. */
export interface RootCause {
  category: RootCauseCategory;
  subject: Subject;
  confidence: number;
  summary: string;
  evidence: Evidence[];
  /** Finding ids of the symptoms (and lesser causes) this root cause explains. */
  explains: string[];
  remediation: StepId[];
  /** The id of the finding this root cause was promoted from. */
  finding: string;
}

/** A part of the snapshot that could not be collected or parsed. */
export interface Gap {
  collector: string;
  reason: GapReason;
  detail?: string;
  node?: string;
}
export const GAP_REASONS = [
  'forbidden',
  'timeout',
  'not-found',
  'unreachable',
  'parse-error',
  'not-collected',
  'unsupported',
  'error',
] as const;
export type GapReason = (typeof GAP_REASONS)[number];

/** Where a snapshot came from; rules never look at this, reports do. */
export interface SnapshotMeta {
  createdAt: string;
  source: 'live' | 'lab' | 'example' | 'synthetic';
  netdoctorVersion: string;
  cluster?: { name?: string; context?: string; kubernetesVersion?: string };
  /** Free text shown in reports (e.g. which fault an example reproduces). */
  description?: string;
}

/**
 * The immutable input of analysis: the cluster's objects, each node's parsed datapath and the
 * probe results. Rules read nothing else.
 */
export interface Snapshot {
  meta: SnapshotMeta;
  cluster: ClusterState;
  /** Keyed by Kubernetes node name. A node with no entry had no datapath collected (see gaps). */
  nodes: Record<string, NodeDatapath>;
  probes?: ProbeResults;
  gaps: Gap[];
  /**
   * What became of each item the collection tried to gather, by bundle path: collected, absent
   * on the node, or not collected and why. Absent for snapshots built in memory, which read as
   * "everything present was collected, everything missing is unknown".
   */
  items?: ItemStates;
}

/** The seeds' cascading-failure pattern score (seed 001): six signals, 4+ confirmed, 2-3 partial. */
export interface PatternScore {
  score: number;
  signals: string[];
  match: 'confirmed' | 'partial' | 'none';
}

/**
 * How one rule went: discriminated, so a thrown rule is a result, not a crash. `note` says on
 * how many nodes a rule that ran elsewhere could not check (e.g. a part not collected there).
 * `notCollected` names the inputs whose collection failed and made the rule (or some of its
 * nodes) skip: a skip for want of evidence, unlike one for a rule that does not apply.
 */
export type RuleOutcome =
  | { rule: string; status: 'pass'; note?: string; notCollected?: string[] }
  | { rule: string; status: 'fail'; findings: string[]; note?: string; notCollected?: string[] }
  | { rule: string; status: 'skipped'; reason: string; notCollected?: string[] }
  | { rule: string; status: 'error'; error: string };

/**
 * healthy: nothing wrong, and enough was seen to say so; degraded or broken: problems found;
 * inconclusive: nothing found, but too little was collected or probed to call it healthy.
 */
export const VERDICTS = ['healthy', 'degraded', 'broken', 'inconclusive'] as const;
export type Verdict = (typeof VERDICTS)[number];

/** Probes: how many were planned, and how each ended. */
export interface ProbeCoverage {
  planned: number;
  /** Passed or failed: an answer about the network. */
  ran: number;
  /** Could not be run (the probe pod did not start, the exec failed). */
  errored: number;
  skipped: number;
  /** Why there are no probe results at all. */
  reason?: string;
}

/**
 * What the analysis saw, and whether that is enough for a verdict of healthy (`sufficient`;
 * `shortfalls` says what is missing, `thresholds` what is required).
 */
export interface Coverage {
  nodes: { total: number; collected: number; notCollected: { node: string; reason: string }[] };
  probes: ProbeCoverage;
  rules: {
    total: number;
    /** Rules that apply to this cluster (all but those skipped as not applicable). */
    applicable: number;
    evaluated: number;
    errored: number;
    /** Rules skipped because inputs they need were not collected. */
    skipped: { rule: string; reason: string; notCollected: string[] }[];
    /**
     * Rules that ran, but not everywhere: an input they need was not collected on some nodes,
     * so their pass says nothing about those nodes.
     */
    partial: { rule: string; reason: string; notCollected: string[] }[];
    /** Rules that do not apply to this cluster (another CNI, no policies, ...). */
    notApplicable: { rule: string; reason: string }[];
  };
  sufficient: boolean;
  shortfalls: string[];
  thresholds: string;
}

/** A symptom finding no root cause explains. */
export interface UnexplainedSymptom {
  finding: string;
  summary: string;
}

/** The report contract of PRODUCT.md (report.json, `-o json`). */
export interface Report {
  schemaVersion: 1;
  generatedAt: string;
  verdict: Verdict;
  pattern: PatternScore;
  rootCauses: RootCause[];
  findings: Finding[];
  probes: ProbeResults | Record<string, never>;
  gaps: Gap[];
  rules: RuleOutcome[];
  /** What was collected, probed and evaluated, and whether that suffices for healthy. */
  coverage: Coverage;
  /** Symptoms (failed probes, empty endpoints, ...) that no root cause explains. */
  unexplained: UnexplainedSymptom[];
  meta: SnapshotMeta;
  /** Node-by-node route matrix (seed 004's table): for each node, each peer subnet's state. */
  routeMatrix?: RouteMatrix;
  /** Pod-to-pod round-trip latency and loss per node pair, from the ICMP probes. */
  latencyMatrix?: LatencyMatrix;
  /**
   * NetworkPolicy reachability between the workloads of the namespaces that have policies, as
   * `netdoctor policy matrix` computes it; absent when the cluster has no NetworkPolicy.
   */
  policyMatrix?: ReachabilityMatrix;
}

/**
 * Pod-to-pod latency between nodes: for each directed pair probed with ICMP, what the ping
 * measured. Rows are source nodes, columns destinations.
 */
export interface LatencyMatrix {
  nodes: string[];
  cells: LatencyCell[];
  /**
   * The cluster's typical pair latency: the median minimum round trip of the pairs that are not
   * outliers. Absent when no pair answered.
   */
  baselineMs?: number;
}
export interface LatencyCell {
  from: string;
  to: string;
  sent: number;
  received: number;
  minMs?: number;
  avgMs?: number;
  maxMs?: number;
  /** The pair's latency is an outlier against the rest of the cluster (a node's or its own). */
  outlier?: boolean;
}

/** For each node (row), how it reaches each peer node's pod subnet (column). */
export interface RouteMatrix {
  nodes: { name: string; podCIDR?: string }[];
  cells: RouteCell[];
  /**
   * Set on large clusters, where listing every pair would dwarf the report: only cells that
   * are not `ok` or `local` are listed, and an absent cell is healthy.
   */
  onlyProblems?: boolean;
}
export interface RouteCell {
  from: string;
  to: string;
  state: 'local' | 'ok' | 'missing' | 'wrong' | 'unknown';
  /** e.g. `10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink`. */
  route?: string;
}
