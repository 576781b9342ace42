/**
 * Labels on every object netdoctor creates (node agents, probe pods, the probe Service, perf
 * pods), so that cleanup after an interrupted run — or `netdoctor cleanup` later — finds exactly
 * those objects and nothing else.
 */
export const OWNED_LABELS = {
  managedBy: 'app.kubernetes.io/managed-by',
  run: 'netdoctor.io/run',
  role: 'netdoctor.io/role',
} as const;

export const MANAGED_BY = 'netdoctor';

export type OwnedRole =
  | 'agent'
  | 'probe-server'
  | 'probe-client'
  | 'probe-capture'
  | 'probe-service'
  | 'perf-server'
  | 'perf-client';

/** Labels for an object of one run and role. */
export function ownedLabels(runId: string, role: OwnedRole): Record<string, string> {
  return { [OWNED_LABELS.managedBy]: MANAGED_BY, [OWNED_LABELS.run]: runId, [OWNED_LABELS.role]: role };
}

/** Selector for everything netdoctor made, or one run's objects. */
export function ownedSelector(runId?: string): string {
  return runId
    ? `${OWNED_LABELS.managedBy}=${MANAGED_BY},${OWNED_LABELS.run}=${runId}`
    : `${OWNED_LABELS.managedBy}=${MANAGED_BY}`;
}

/**
 * `value` as a part of an object name: lower case, anything outside `[a-z0-9-]` turned into `-`,
 * no leading or trailing `-`, at most `max` characters; `fallback` when nothing is left. Object
 * names are DNS labels, and run ids and node names may not be.
 */
export function namePart(value: string, max: number, fallback = 'x'): string {
  return (
    value
      .toLowerCase()
      .replace(/[^a-z0-9-]/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, max)
      .replace(/-+$/, '') || fallback
  );
}
