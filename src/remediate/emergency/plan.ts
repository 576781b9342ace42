/**
 * Planning the emergency bypass, pure: from the namespaces asked for and their live policies
 * to what gets backed up and the one policy created per namespace, or the reasons it cannot
 * be done (nothing is changed then).
 *
 * Why not a RepairStep: a step is planned from diagnosed root causes (the planner links a
 * cause's remediation id to it) and its rollback runs in the same process from an in-memory
 * record. The bypass answers no root cause (it is an operator's call in an outage, made with or
 * without a diagnosis), and its undo is a later, separate command that has nothing but the fix
 * directory: the exact backups are its input. So it keeps the contract's shape (pure plan,
 * checks before the first change, backup, apply, verify, roll back a failed verification) in a
 * flow of its own, with the executor's fix-<timestamp>/ layout and audit log.
 */
import { BYPASS_NAME, bypassPolicy, isBypass, REVERT_ANNOTATION } from './bypass-policy.ts';
import { EMERGENCY_ACTION, type EmergencyRecord, isNamespaceName, type NamespaceBackup } from './fix-dir.ts';
import type { WirePolicy } from './policy-canon.ts';

/** Everything planning needs, read beforehand, so planning itself reads nothing. */
export interface EmergencyInput {
  /** As given on the command line (duplicates are dropped, order kept). */
  namespaces: string[];
  /** Every namespace that exists. */
  existing: ReadonlySet<string>;
  /** The live policies of each asked-for namespace that exists, as listed. */
  live: ReadonlyMap<string, readonly WirePolicy[]>;
  /** The fix directory the run will write (absolute), and the command that reverts it. */
  fixDir: string;
  revertCommand: string;
  server: string;
  now: Date;
}

/** One namespace: its policies to back up as they are, and the bypass to create. */
export interface NamespaceBypass extends NamespaceBackup {
  bypass: WirePolicy;
}

/** What the bypass will do: the fix directory, its record, and per namespace the backups and the policy. */
export interface EmergencyPlan {
  action: typeof EMERGENCY_ACTION;
  fixDir: string;
  revertCommand: string;
  record: EmergencyRecord;
  namespaces: NamespaceBypass[];
}

/** A plan, or every reason there is none (then nothing is changed). */
export type EmergencyPlanResult =
  | { status: 'planned'; plan: EmergencyPlan }
  | { status: 'refused'; reasons: string[] };

/** Plans the bypass of each asked-for namespace, refusing the whole run if any one cannot have it. */
export function planEmergency(input: EmergencyInput): EmergencyPlanResult {
  const asked = [...new Set(input.namespaces)];
  const reasons: string[] = [];
  if (asked.length === 0) reasons.push('no namespace given');
  const namespaces: NamespaceBypass[] = [];
  for (const ns of asked) {
    if (!isNamespaceName(ns)) {
      reasons.push(`${JSON.stringify(ns)} is not a namespace name`);
      continue;
    }
    if (!input.existing.has(ns)) {
      reasons.push(`namespace ${ns} does not exist`);
      continue;
    }
    const live = input.live.get(ns) ?? [];
    const namesake = live.find((p) => p.metadata.name === BYPASS_NAME);
    if (namesake) {
      const revert = namesake.metadata.annotations?.[REVERT_ANNOTATION];
      reasons.push(
        isBypass(namesake)
          ? `${ns} already has the emergency bypass ${BYPASS_NAME}; revert it first${revert ? `: ${revert}` : ''}`
          : `${ns} has a NetworkPolicy named ${BYPASS_NAME} that netdoctor did not create (no netdoctor.io/emergency label)`,
      );
      continue;
    }
    const backups = [...live].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    namespaces.push({ namespace: ns, policies: backups, bypass: bypassPolicy(ns, input.revertCommand) });
  }
  if (reasons.length > 0) return { status: 'refused', reasons };
  return {
    status: 'planned',
    plan: {
      action: EMERGENCY_ACTION,
      fixDir: input.fixDir,
      revertCommand: input.revertCommand,
      record: {
        action: EMERGENCY_ACTION,
        version: 1,
        createdAt: input.now.toISOString(),
        server: input.server,
        namespaces: namespaces.map((n) => ({
          namespace: n.namespace,
          policies: n.policies.map((p) => p.metadata.name),
        })),
      },
      namespaces,
    },
  };
}

/** A word a POSIX shell reads as itself: quoted only when it has to be. */
function shellWord(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}

/**
 * The exact command that reverts the bypass: `netdoctor fix --revert <fix-dir>`, with the
 * cluster flags this run was given, so it reaches the same cluster when pasted anywhere.
 */
export function revertCommandFor(fixDir: string, target: { kubeconfig?: string; context?: string }): string {
  return [
    'netdoctor fix --revert',
    shellWord(fixDir),
    ...(target.kubeconfig ? ['--kubeconfig', shellWord(target.kubeconfig)] : []),
    ...(target.context ? ['--context', shellWord(target.context)] : []),
  ].join(' ');
}
