import type { ClusterPort, ListKind } from '../../cluster/port.ts';
import { NetdoctorError } from '../../core/errors.ts';
import type { Gap, Snapshot } from '../../core/model.ts';
import { NETDOCTOR_VERSION } from '../../core/version.ts';
import { collectCluster } from './collect-cluster.ts';

/** What NetworkPolicy evaluation reads: selectors need pods and namespaces, Service flows the rest. */
export const POLICY_KINDS = ['namespaces', 'pods', 'services', 'endpointSlices', 'networkPolicies'] as const;

/**
 * Without one of these an answer would be a guess presented as a fact: a missing policy list
 * reads as "nothing isolated", missing namespaces break every namespaceSelector.
 */
const REQUIRED: readonly ListKind[] = ['namespaces', 'pods', 'networkPolicies'];

function missingRequired(gaps: readonly Gap[]): Gap | undefined {
  return gaps.find((g) => REQUIRED.some((k) => g.collector === `cluster/${k}`));
}

/**
 * Reads, read-only, just what `netdoctor policy` evaluates from a live cluster: no node
 * datapath, no probes, no logs. A required list that cannot be read is an error (exit 3);
 * Services or EndpointSlices that cannot be read stay gaps, since only flows to a Service need them.
 */
export async function collectPolicySnapshot(port: ClusterPort, now: Date = new Date()): Promise<Snapshot> {
  const { cluster, gaps } = await collectCluster(port, { kinds: POLICY_KINDS, logs: false });
  const missing = missingRequired(gaps);
  if (missing) {
    const kind = missing.collector.replace('cluster/', '');
    const forbidden = missing.reason === 'forbidden';
    throw new NetdoctorError(
      forbidden ? 'forbidden' : 'cluster-unreachable',
      `cannot list ${kind} at ${port.target.server} (${missing.reason}): NetworkPolicy evaluation needs them`,
      {
        ...(missing.detail ? { cause: new Error(missing.detail) } : {}),
        suggestions: forbidden
          ? [
              `check the permission with: kubectl auth can-i list ${kind.toLowerCase()} --all-namespaces`,
              'explain from a bundle written with more rights: netdoctor policy ... --bundle <dir>',
            ]
          : [
              'retry, or pass --kubeconfig PATH / --context NAME to pick another cluster',
              'explain from a saved bundle: netdoctor policy ... --bundle <dir>',
            ],
      },
    );
  }
  return {
    meta: {
      createdAt: now.toISOString(),
      source: 'live',
      netdoctorVersion: NETDOCTOR_VERSION,
      cluster: {
        ...(port.target.context ? { context: port.target.context } : {}),
        ...(cluster.serverVersion ? { kubernetesVersion: cluster.serverVersion } : {}),
      },
    },
    cluster,
    nodes: {},
    gaps,
  };
}
