/**
 * Planning `fix --revert`, pure: from the fix directory's backups and the live policies to the
 * changes that make each namespace's policies equal the backup again and take the bypass away.
 *
 * Restores come before the bypass goes: a changed policy is replaced by delete and create, and
 * while the bypass still allows everything, that gap cannot let through anything the backup's
 * policies would not. Policies added after the backup are left alone and named: netdoctor did
 * not create them and someone meant them. Running it again finds nothing to do.
 */
import { BYPASS_NAME } from './bypass-policy.ts';
import { type NamespaceDrift, namespaceDrift } from './drift.ts';
import type { NamespaceBackup } from './fix-dir.ts';
import { restorableBody, type WirePolicy } from './policy-canon.ts';

/** One change of a revert. */
export type RevertAction =
  | {
      type: 'restore';
      namespace: string;
      name: string;
      /** `create` a policy that is gone; `replace` (delete, create) one that changed. */
      how: 'create' | 'replace';
      body: WirePolicy;
      why: string;
    }
  | { type: 'delete-bypass'; namespace: string };

/** What a revert will do, and how each namespace stands against its backup now. */
export interface RevertPlan {
  /** In the order they run: every restore, then every bypass deletion. */
  actions: RevertAction[];
  drift: NamespaceDrift[];
  /** Namespaces that no longer exist: nothing to restore or delete there. */
  gone: string[];
}

/** A revert plan, or why the revert must not run (nothing is changed then). */
export type RevertPlanResult =
  | { status: 'planned'; plan: RevertPlan }
  | { status: 'refused'; reasons: string[] };

/** Plans the revert; `live` holds the policies of each backed-up namespace that still exists. */
export function planRevert(
  backups: readonly NamespaceBackup[],
  live: ReadonlyMap<string, readonly WirePolicy[]>,
): RevertPlanResult {
  const restores: RevertAction[] = [];
  const deletes: RevertAction[] = [];
  const drift: NamespaceDrift[] = [];
  const gone: string[] = [];
  const reasons: string[] = [];
  for (const b of backups) {
    const policies = live.get(b.namespace);
    if (policies === undefined) {
      gone.push(b.namespace);
      continue;
    }
    const d = namespaceDrift(b, policies);
    drift.push(d);
    if (d.bypass === 'foreign') {
      reasons.push(
        `${b.namespace}/${BYPASS_NAME} is not netdoctor's bypass (no netdoctor.io/emergency label); not deleting it`,
      );
      continue;
    }
    for (const p of d.policies) {
      if (p.state === 'unchanged') continue;
      const backup = b.policies.find((x) => x.metadata.name === p.name);
      if (!backup) continue;
      restores.push({
        type: 'restore',
        namespace: b.namespace,
        name: p.name,
        how: p.state === 'vanished' ? 'create' : 'replace',
        body: restorableBody(backup, b.namespace),
        why:
          p.state === 'vanished'
            ? 'gone since the backup'
            : `changed since the backup: ${p.fields.join(', ')}`,
      });
    }
    if (d.bypass === 'present') deletes.push({ type: 'delete-bypass', namespace: b.namespace });
  }
  if (reasons.length > 0) return { status: 'refused', reasons };
  return { status: 'planned', plan: { actions: [...restores, ...deletes], drift, gone } };
}
