/**
 * The report's NetworkPolicy reachability matrix: the workloads of every namespace that has a
 * policy, evaluated as `netdoctor policy matrix` does. Workloads of namespaces without policies
 * are left out to keep the table small: nothing isolates them, so only their flows into the
 * isolated namespaces could be denied, and `netdoctor policy explain` answers those one by one.
 */
import type { Snapshot } from '../core/model.ts';
import type { ReachabilityMatrix } from '../core/policy-matrix.ts';
import { policyIndexFor } from '../policy/policy-index.ts';
import { reachabilityMatrix } from '../policy/reachability-matrix.ts';

/** At most this many workloads: the table is quadratic and must stay readable in a report. */
export const REPORT_MATRIX_LIMIT = 40;

export function policyMatrixFor(snapshot: Snapshot): ReachabilityMatrix | undefined {
  const policies = snapshot.cluster.networkPolicies;
  if (policies.length === 0) return undefined;
  const namespaces = [...new Set(policies.map((p) => p.metadata.namespace ?? 'default'))].sort();
  return reachabilityMatrix(policyIndexFor(snapshot), { namespaces, limit: REPORT_MATRIX_LIMIT });
}
