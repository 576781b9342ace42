/**
 * How a namespace's live policies stand against the backup: per backed-up policy unchanged,
 * changed (which of name, labels, annotations, spec) or vanished; policies added since; and
 * whether the bypass is there. Pure: both the bypass's verification and the revert use it.
 */
import { BYPASS_NAME, isBypass } from './bypass-policy.ts';
import type { NamespaceBackup } from './fix-dir.ts';
import { canonicalPolicy, policyDifferences, type WirePolicy } from './policy-canon.ts';

/** One backed-up policy against its live namesake. */
export type PolicyDrift =
  | { name: string; state: 'unchanged' }
  | { name: string; state: 'changed'; fields: string[] }
  | { name: string; state: 'vanished' };

/** netdoctor's bypass present, absent, or a policy of its name that netdoctor did not create. */
export type BypassState = 'present' | 'absent' | 'foreign';

/** A namespace's live policies against its backup. */
export interface NamespaceDrift {
  namespace: string;
  policies: PolicyDrift[];
  /** Live policies the backup does not hold (the bypass aside), sorted. */
  added: string[];
  bypass: BypassState;
}

/** Compares a namespace's live policies with its backup (see the file comment). */
export function namespaceDrift(backup: NamespaceBackup, live: readonly WirePolicy[]): NamespaceDrift {
  const byName = new Map(live.map((p) => [p.metadata.name, p]));
  const policies: PolicyDrift[] = backup.policies.map((b) => {
    const l = byName.get(b.metadata.name);
    if (!l) return { name: b.metadata.name, state: 'vanished' };
    // canonicalPolicy is the contract ("byte for byte"); the field list only explains a miss.
    if (canonicalPolicy(l) === canonicalPolicy(b)) return { name: b.metadata.name, state: 'unchanged' };
    return { name: b.metadata.name, state: 'changed', fields: policyDifferences(b, l) };
  });
  const backedUp = new Set(backup.policies.map((p) => p.metadata.name));
  const added = live
    .map((p) => p.metadata.name)
    .filter((n) => n !== BYPASS_NAME && !backedUp.has(n))
    .sort();
  const namesake = byName.get(BYPASS_NAME);
  const bypass: BypassState = !namesake ? 'absent' : isBypass(namesake) ? 'present' : 'foreign';
  return { namespace: backup.namespace, policies, added, bypass };
}

/** One line per backed-up policy that is not as backed up. */
export function changedLines(d: NamespaceDrift): string[] {
  return d.policies.flatMap((p) =>
    p.state === 'changed'
      ? [`${d.namespace}/${p.name}: changed (${p.fields.join(', ')})`]
      : p.state === 'vanished'
        ? [`${d.namespace}/${p.name}: gone`]
        : [],
  );
}

/** One line per policy added after the backup. */
export function addedLines(d: NamespaceDrift): string[] {
  return d.added.map((n) => `${d.namespace}/${n}: added after the backup`);
}
