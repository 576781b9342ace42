/** Shared pieces of the repair steps: YAML views, cause links, polling, rollouts, undo. */
import { stringify } from 'yaml';
import type { K8sDaemonSet, K8sPod } from '../core/cluster-types.ts';
import type { RootCause, Snapshot } from '../core/model.ts';
import type {
  AppliedRecord,
  CauseRef,
  NodeCommand,
  PlanDraft,
  RepairExec,
  RepairStep,
  RollbackOutcome,
  StepInput,
  StepPlan,
  UndoAction,
  VerifyOutcome,
} from './step.ts';

export const RESTARTED_AT = 'kubectl.kubernetes.io/restartedAt';

/** Stable YAML for diffs and backups (server-managed noise removed). */
export function toYaml(obj: unknown): string {
  if (obj === undefined || obj === null) return '';
  return stringify(stripServerFields(obj), { sortMapEntries: false, lineWidth: 0 });
}

/** A copy without status and server-managed metadata, fit to show or to create again. */
export function stripServerFields(obj: unknown): unknown {
  if (typeof obj !== 'object' || obj === null) return obj;
  const copy = JSON.parse(JSON.stringify(obj)) as Record<string, unknown>;
  delete copy['status'];
  const meta = copy['metadata'] as Record<string, unknown> | undefined;
  if (meta) {
    for (const k of [
      'uid',
      'resourceVersion',
      'generation',
      'creationTimestamp',
      'managedFields',
      'selfLink',
    ]) {
      delete meta[k];
    }
    const ann = meta['annotations'] as Record<string, string> | undefined;
    if (ann) {
      delete ann['kubectl.kubernetes.io/last-applied-configuration'];
      delete ann['deprecated.daemonset.template.generation'];
      delete ann['deployment.kubernetes.io/revision'];
      if (Object.keys(ann).length === 0) delete meta['annotations'];
    }
  }
  return copy;
}

export function causeRef(rc: RootCause): CauseRef {
  return { category: rc.category, subject: rc.subject, finding: rc.finding, summary: rc.summary };
}

/** The Node names the causes are about, sorted and unique. */
export function causeNodes(causes: RootCause[]): string[] {
  return [...new Set(causes.filter((c) => c.subject.kind === 'Node').map((c) => c.subject.name))].sort();
}

/** A plan skeleton with the step's identity filled in; {@link planned} adds the parameters. */
export function basePlan(
  step: Pick<RepairStep, 'id' | 'title' | 'phase' | 'order'>,
  input: StepInput,
): PlanDraft {
  return {
    step: step.id,
    title: step.title,
    phase: step.phase,
    order: step.order,
    addresses: input.causes.map(causeRef),
    objectChanges: [],
    nodeCommands: [],
    verification: '',
    rollback: '',
    notes: [],
  };
}

/** The finished plan: the draft with the step's parameters. */
export function planned<P>(draft: PlanDraft, params: P): { status: 'planned'; plan: StepPlan<P> } {
  return { status: 'planned', plan: { ...draft, params } };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Re-checks until `check` gives ok or the verify timeout passes; with a timeout of 0 it checks
 * exactly once. Returns the last reason on failure.
 */
export async function pollUntil(
  exec: RepairExec,
  check: () => Promise<{ ok: true; detail: string } | { ok: false; reason: string }>,
): Promise<VerifyOutcome> {
  const deadline = Date.now() + exec.verifyTimeoutMs;
  for (;;) {
    let r: { ok: true; detail: string } | { ok: false; reason: string };
    try {
      r = await check();
    } catch (err) {
      return { status: 'error', error: err instanceof Error ? err.message : String(err) };
    }
    if (r.ok) return { status: 'verified', detail: r.detail };
    if (Date.now() + exec.pollMs > deadline) return { status: 'failed', reason: r.reason };
    await sleep(exec.pollMs);
  }
}

interface RolloutView {
  metadata?: { generation?: number; annotations?: Record<string, string> };
  spec?: { replicas?: number; template?: { metadata?: { annotations?: Record<string, string> } } };
  status?: {
    observedGeneration?: number;
    desiredNumberScheduled?: number;
    updatedNumberScheduled?: number;
    numberReady?: number;
    numberAvailable?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
  };
}

/** Whether a DaemonSet's or Deployment's current generation is fully rolled out and ready. */
export function rolloutState(
  kind: 'DaemonSet' | 'Deployment',
  obj: unknown,
): { ok: true; detail: string } | { ok: false; reason: string } {
  const o = obj as RolloutView | undefined;
  if (!o) return { ok: false, reason: `the ${kind} does not exist` };
  const gen = o.metadata?.generation ?? 0;
  const seen = o.status?.observedGeneration ?? 0;
  if (seen < gen)
    return { ok: false, reason: `controller has not observed generation ${gen} yet (at ${seen})` };
  if (kind === 'DaemonSet') {
    const want = o.status?.desiredNumberScheduled ?? 0;
    const updated = o.status?.updatedNumberScheduled ?? 0;
    const ready = o.status?.numberReady ?? 0;
    const avail = o.status?.numberAvailable ?? 0;
    if (want === 0) return { ok: false, reason: 'no pod is scheduled' };
    if (updated < want || ready < want || avail < want) {
      return {
        ok: false,
        reason: `${updated}/${want} updated, ${ready}/${want} ready, ${avail}/${want} available`,
      };
    }
    return { ok: true, detail: `${ready}/${want} pods updated and ready` };
  }
  const want = o.spec?.replicas ?? 1;
  const updated = o.status?.updatedReplicas ?? 0;
  const ready = o.status?.readyReplicas ?? 0;
  const total = o.status?.replicas ?? 0;
  if (updated < want || ready < want || total > want) {
    return { ok: false, reason: `${updated}/${want} updated, ${ready}/${want} ready, ${total} total` };
  }
  return { ok: true, detail: `${ready}/${want} replicas updated and ready` };
}

/** The pod template annotation a rollout restart sets (absent: undefined). */
export function templateRestartedAt(obj: unknown): string | undefined {
  return (obj as RolloutView | undefined)?.spec?.template?.metadata?.annotations?.[RESTARTED_AT];
}

/** The strategic-merge patch of `kubectl rollout restart`; `null` removes the annotation. */
export function restartPatch(value: string | null): object {
  return { spec: { template: { metadata: { annotations: { [RESTARTED_AT]: value } } } } };
}

/** Runs the undo actions in reverse order. */
export async function runUndo(exec: RepairExec, record: AppliedRecord): Promise<RollbackOutcome> {
  if (record.status === 'no-op') return { status: 'nothing-to-undo', detail: record.reason };
  if (record.undo.length === 0) return { status: 'nothing-to-undo', detail: 'the change needs no undo' };
  const done: string[] = [];
  try {
    for (const u of [...record.undo].reverse()) {
      done.push(await undoOne(exec, u));
    }
  } catch (err) {
    return {
      status: 'failed',
      error: `${err instanceof Error ? err.message : String(err)} (after: ${done.join('; ') || 'nothing'})`,
    };
  }
  return { status: 'rolled-back', detail: done.join('; ') };
}

async function undoOne(exec: RepairExec, u: UndoAction): Promise<string> {
  switch (u.type) {
    case 'patch':
      await exec.port.patchObject(u.kind, u.namespace, u.name, u.patch, u.patchType);
      return `patched ${u.kind} ${u.namespace}/${u.name} back`;
    case 'delete':
      await exec.port.deleteObject(u.kind, u.namespace, u.name);
      return `deleted ${u.kind} ${u.namespace}/${u.name}`;
    case 'node': {
      const r = await exec.nodes.run(u.node, u.argv, { hostMount: u.hostMount });
      if (r.exitCode !== 0)
        throw new Error(`on ${u.node}: ${u.argv.join(' ')} exited ${r.exitCode}: ${r.stdout.trim()}`);
      return `on ${u.node}: ${u.argv.join(' ')}`;
    }
  }
}

/** A shell command line as argv for the node runner. */
export function sh(script: string): string[] {
  return ['sh', '-c', script];
}

export function nodeCommand(node: string, script: string, why: string, hostMount = false): NodeCommand {
  return { node, argv: sh(script), why, hostMount };
}

/** Quotes a value for a POSIX shell. */
export function shq(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/** The CNI agent's DaemonSet in the snapshot (flannel, calico-node, cilium). */
export function cniDaemonSet(snapshot: Snapshot): K8sDaemonSet | undefined {
  return snapshot.cluster.daemonSets.find((d) => isCniDaemonSet(d.metadata.name));
}

export function isCniDaemonSet(name: string): boolean {
  return /flannel|calico-node|^cilium$|weave-net|canal/.test(name);
}

/** Whether a pod is a CNI agent pod (by its owner or its name). */
export function isCniAgentPod(p: K8sPod): boolean {
  const owner = p.metadata.ownerReferences?.find((o) => o.kind === 'DaemonSet')?.name;
  return owner !== undefined
    ? isCniDaemonSet(owner)
    : /^(kube-flannel|calico-node|cilium)-/.test(p.metadata.name);
}

/** Label selector string from matchLabels. */
export function selectorString(matchLabels: Record<string, string> | undefined): string {
  return Object.entries(matchLabels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

export function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
