/**
 * Checks made after the cluster is read and before netdoctor creates anything in it, so a run
 * that could not look anyway stops at once with the reason instead of collecting nothing.
 */
import type { ClusterState } from '../core/cluster-types.ts';
import { NetdoctorError } from '../core/errors.ts';
import type { Gap } from '../core/model.ts';

/**
 * The namespace agent and probe pods go into must exist. When the namespace list could not be
 * read (forbidden), the check is left to the create calls, whose gaps say so.
 */
export function checkAgentNamespace(cluster: ClusterState, gaps: readonly Gap[], namespace: string): void {
  if (gaps.some((g) => g.collector.toLowerCase() === 'cluster/namespaces')) return;
  if (cluster.namespaces.some((n) => n.metadata.name === namespace)) return;
  throw new NetdoctorError(
    'inconclusive',
    `the namespace ${namespace} for agent and probe pods does not exist, so no node could be collected or probed; create it (kubectl create namespace ${namespace}) or pass --agent-namespace with an existing one`,
    { suggestions: ['netdoctor diagnose --agent-namespace kube-system'] },
  );
}
