/**
 * The repair-step contract. A step is planned purely from the diagnosis (Report + Snapshot +
 * options), its preconditions are checked for every step before the first change, and its
 * apply records everything its rollback needs (ARCHITECTURE.md principle 8).
 */
import type { RepairKind, RepairPort } from '../cluster/port.ts';
import type { Report, RootCause, RootCauseCategory, Snapshot, Subject } from '../core/model.ts';
import type { StepId } from '../core/step-id.ts';

/** Seed 001's repair order: system, CNI bridge, CNI agent, kube-proxy, CoreDNS, policy, validation. */
export const PHASES = [
  'system',
  'cni-bridge',
  'cni-agent',
  'kube-proxy',
  'coredns',
  'policy',
  'validation',
] as const;
export type Phase = (typeof PHASES)[number];

/** What the person running `fix` allowed. */
export interface RepairOptions {
  /** Act on root causes below the confirmation threshold (partial pattern matches). */
  force: boolean;
  /** Only these step ids (empty: all). */
  only: string[];
  /** Consent to change CoreDNS's upstream or Corefile. */
  allowUpstreamChange: boolean;
  /** Consent to create the emergency DNS egress allow policy (seed 003). */
  emergencyAllowDns: boolean;
  /**
   * Consent to edit an application object: a Service selector, when the diagnosis shows one
   * unambiguous near-miss label (--allow-app-change).
   */
  allowAppChange: boolean;
  /**
   * Consent to recreate bare pods (no controller to bring them back) from their own spec, when
   * a repair recreates the pods on a node (--recreate-bare-pods).
   */
  recreateBarePods: boolean;
  /**
   * Consent to delete a host firewall rule a traced failed probe dies at
   * (--allow-firewall-change): netdoctor did not write it, someone may have meant it.
   */
  allowFirewallChange: boolean;
  /**
   * The last known CNI DaemonSet manifest (--manifest FILE, or the DaemonSet an earlier bundle
   * recorded: manifest-source.ts), already read and parsed by the caller so planning stays pure.
   */
  manifest?: { source: string; objects: object[] };
}

export const DEFAULT_OPTIONS: RepairOptions = {
  force: false,
  only: [],
  allowUpstreamChange: false,
  emergencyAllowDns: false,
  allowAppChange: false,
  recreateBarePods: false,
  allowFirewallChange: false,
};

/** A root cause's link to the step that addresses it. */
export interface CauseRef {
  category: RootCauseCategory;
  subject: Subject;
  finding: string;
  summary: string;
}

/** One Kubernetes object a step changes, shown as a before/after YAML diff. */
export interface ObjectChange {
  kind: RepairKind | 'Pod';
  namespace: string;
  name: string;
  action: 'patch' | 'create' | 'delete';
  /** For `patch`: the body and how the server reads it. */
  patch?: object;
  patchType?: 'strategic' | 'merge';
  /** For `create`: the object. */
  body?: object;
  /** YAML as diagnosed (empty when it did not exist) and as it will be after the change. */
  before: string;
  after: string;
  why: string;
}

/** One command a step runs on a node through node-exec.ts. */
export interface NodeCommand {
  node: string;
  argv: string[];
  why: string;
  /** Run in the node's mount namespace (nsenter -t 1 -m), for commands that touch node files. */
  hostMount: boolean;
}

/** Step parameters as the executor and the audit log see them: plain JSON, whatever the step. */
export type StepParams = Record<string, unknown>;

/**
 * The pure output of `plan`: what will change, how it is checked and how it is undone. `P` is
 * the step's own parameters, typed in the step and plain JSON everywhere else.
 */
export interface StepPlan<P = StepParams> {
  step: string;
  title: string;
  phase: Phase;
  order: number;
  addresses: CauseRef[];
  objectChanges: ObjectChange[];
  nodeCommands: NodeCommand[];
  /** How `verify` re-checks, in words. */
  verification: string;
  /** How `rollback` undoes it, in words. */
  rollback: string;
  /** Things the person must know: e.g. the exact revert command of an emergency policy. */
  notes: string[];
  /** Step-specific parameters `apply` needs (plain JSON). */
  params: P;
}

/** A plan being built: everything but the parameters, which come last with {@link StepPlanResult}. */
export type PlanDraft = Omit<StepPlan, 'params'>;

/** What planning a step for a set of root causes gave. */
export type StepPlanResult<P = StepParams> =
  | { status: 'planned'; plan: StepPlan<P> }
  | { status: 'nothing-to-do'; reason: string }
  | { status: 'refused'; reason: string; manualCommands?: string[] };

export interface StepInput {
  report: Report;
  snapshot: Snapshot;
  options: RepairOptions;
  /** The root causes (deduplicated, confirmed or forced) this step addresses. */
  causes: RootCause[];
}

/** A check run before any change; a failed one stops the whole run before it starts. */
export interface Check {
  what: string;
  run(exec: RepairExec): Promise<CheckOutcome>;
}
export type CheckOutcome = { status: 'ok' } | { status: 'failed'; reason: string };

/** The output of a command run on a node. */
export interface NodeRun {
  exitCode: number;
  stdout: string;
}

/** Runs a command on a node (node-exec.ts in production). */
export interface NodeRunner {
  run(node: string, argv: string[], opts: { hostMount: boolean }): Promise<NodeRun>;
}

/** What apply, verify and rollback may touch. */
export interface RepairExec {
  port: RepairPort;
  nodes: NodeRunner;
  /** How long verify waits for a rollout or a pod; 0 checks exactly once. */
  verifyTimeoutMs: number;
  pollMs: number;
  /** The diagnosed snapshot, for verifiers that re-run rules on it with fresh objects. */
  snapshot?: Snapshot;
  log(line: string): void;
}

/** One undoable thing apply did. */
export type UndoAction =
  | {
      type: 'patch';
      kind: Exclude<RepairKind, 'NetworkPolicy'>;
      namespace: string;
      name: string;
      patch: object;
      patchType: 'strategic' | 'merge';
    }
  | { type: 'delete'; kind: 'DaemonSet' | 'NetworkPolicy'; namespace: string; name: string }
  | { type: 'node'; node: string; argv: string[]; hostMount: boolean };

/** One thing apply did, for the audit log. */
export interface AppliedAction {
  target: string;
  command: string;
  before?: string;
  after?: string;
  result: string;
}

/** Everything needed to audit and undo an apply. */
export type AppliedRecord =
  | {
      status: 'applied';
      step: string;
      actions: AppliedAction[];
      undo: UndoAction[];
      facts: Record<string, unknown>;
    }
  | { status: 'no-op'; step: string; reason: string; facts: Record<string, unknown> };

export type VerifyOutcome =
  | { status: 'verified'; detail: string }
  | { status: 'failed'; reason: string }
  | { status: 'error'; error: string };

export type RollbackOutcome =
  | { status: 'rolled-back'; detail: string }
  | { status: 'nothing-to-undo'; detail: string }
  | { status: 'failed'; error: string };

/**
 * One repair step (remediate/steps/<id>.ts). `P` types its parameters from `plan` through
 * `apply` and `verify`; the registry holds every step as `RepairStep` (plain JSON parameters),
 * which a step with typed ones is, since its parameters are a plain object type.
 */
export interface RepairStep<P = StepParams> {
  /** Stable forever: the id the rules name in `remediation`. */
  id: StepId;
  title: string;
  phase: Phase;
  /** Position in seed 001's order (lower first). */
  order: number;
  handles: RootCauseCategory[];
  plan(input: StepInput): StepPlanResult<P>;
  preconditions(plan: StepPlan<P>): Check[];
  apply(exec: RepairExec, plan: StepPlan<P>): Promise<AppliedRecord>;
  verify(exec: RepairExec, record: AppliedRecord, plan: StepPlan<P>): Promise<VerifyOutcome>;
  rollback(exec: RepairExec, record: AppliedRecord): Promise<RollbackOutcome>;
}
