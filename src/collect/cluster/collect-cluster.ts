import { unusableApiStatus } from '../../cluster/api-access.ts';
import { classifyApiError } from '../../cluster/api-error.ts';
import { type ClusterPort, LIST_KINDS, type ListKind } from '../../cluster/port.ts';
import { type ClusterState, emptyClusterState, type K8sPod } from '../../core/cluster-types.ts';
import { mapLimit } from '../../core/concurrency.ts';
import { NetdoctorError } from '../../core/errors.ts';
import type { Gap } from '../../core/model.ts';
import { TimeoutError, withTimeout } from '../../core/timeout.ts';
import { type LogTarget, logsWorthCollecting } from './log-targets.ts';

/** Namespaces whose ConfigMaps hold networking configuration (CoreDNS, kube-proxy, CNI). */
const NETWORKING_NAMESPACES = ['kube-system', 'kube-flannel', 'calico-system', 'tigera-operator'];
/** Only these ConfigMaps are kept: everything else may hold application data. */
const NETWORKING_CONFIGMAP =
  /^(coredns|kube-proxy|kube-flannel-cfg|calico-config|cilium-config|kubeadm-config|kube-root-ca\.crt)$/;

export interface CollectClusterOptions {
  /** Per API call. */
  timeoutMs: number;
  /** API calls in flight at once. */
  concurrency: number;
  logTailLines: number;
  /** Cap on unhealthy application pods whose logs are read (system pods are always read). */
  maxUnhealthyPodLogs: number;
  /** The kinds to list; a command that needs only a few (policy evaluation) reads only those. */
  kinds: readonly ListKind[];
  /** Whether to read pod logs at all. */
  logs: boolean;
}

export const DEFAULT_COLLECT_OPTIONS: CollectClusterOptions = {
  timeoutMs: 15_000,
  concurrency: 6,
  logTailLines: 400,
  maxUnhealthyPodLogs: 20,
  kinds: LIST_KINDS,
  logs: true,
};

export interface ClusterCollection {
  cluster: ClusterState;
  gaps: Gap[];
  /** API requests made (list pages count as one per kind and namespace), for the benchmark. */
  apiCalls: number;
}

const FIELD: Record<ListKind, keyof Omit<ClusterState, 'logs' | 'serverVersion'>> = {
  nodes: 'nodes',
  namespaces: 'namespaces',
  pods: 'pods',
  services: 'services',
  endpointSlices: 'endpointSlices',
  daemonSets: 'daemonSets',
  deployments: 'deployments',
  configMaps: 'configMaps',
  networkPolicies: 'networkPolicies',
  events: 'events',
};

function gapFrom(collector: string, err: unknown): Gap {
  if (err instanceof TimeoutError) return { collector, reason: 'timeout', detail: err.message };
  const { reason, detail } = classifyApiError(err);
  return { collector, reason, detail };
}

/**
 * Reads the cluster's networking-relevant state: one list per kind, then logs only for the pods
 * that matter. A forbidden or failing call becomes a gap and the rest goes on; only a server
 * that answers nothing at all is an error (exit 3).
 */
export async function collectCluster(
  port: ClusterPort,
  options: Partial<CollectClusterOptions> = {},
): Promise<ClusterCollection> {
  const opts = { ...DEFAULT_COLLECT_OPTIONS, ...options };
  const cluster = emptyClusterState();
  const gaps: Gap[] = [];
  let apiCalls = 1;

  const where = `the Kubernetes API at ${port.target.server} (context ${port.target.context ?? '(current)'})`;
  const context = port.target.context;
  const suggestions = [
    `check it with: kubectl${context ? ` --context ${context}` : ''} get --raw /version`,
    'pass --kubeconfig PATH or --context NAME to pick another cluster',
    'analyze a saved bundle offline with: netdoctor analyze <bundle>',
  ];
  try {
    const version = await withTimeout(port.serverVersion(), opts.timeoutMs, 'GET /version');
    if (typeof version !== 'string' || version === '') {
      throw new NetdoctorError(
        'cluster-unreachable',
        `cannot read ${where}: /version did not answer like a Kubernetes API server`,
        { suggestions },
      );
    }
    cluster.serverVersion = version;
  } catch (err) {
    if (err instanceof NetdoctorError) throw err;
    const g = gapFrom('cluster/version', err);
    if (g.reason === 'unreachable' || g.reason === 'timeout') {
      throw new NetdoctorError('cluster-unreachable', `cannot reach ${where}`, { cause: err, suggestions });
    }
    const unusable = unusableApiStatus(err);
    if (unusable !== undefined) {
      throw new NetdoctorError('cluster-unreachable', `cannot read ${where}: ${unusable}`, {
        cause: err,
        suggestions,
      });
    }
    gaps.push(g);
  }

  await mapLimit(opts.kinds, opts.concurrency, async (kind) => {
    const namespaces = kind === 'configMaps' ? NETWORKING_NAMESPACES : undefined;
    apiCalls += namespaces?.length ?? 1;
    try {
      const items = await withTimeout(
        port.list(kind, namespaces ? { namespaces } : {}),
        opts.timeoutMs,
        `list ${kind}`,
      );
      const kept =
        kind === 'configMaps' ? items.filter((cm) => NETWORKING_CONFIGMAP.test(nameOf(cm))) : items;
      (cluster[FIELD[kind]] as unknown[]) = kept.map(withoutManagedFields);
    } catch (err) {
      if (kind === 'configMaps' && classifyApiError(err).reason === 'not-found') return;
      gaps.push(gapFrom(`cluster/${kind}`, err));
    }
  });

  const targets = opts.logs ? logsWorthCollecting(cluster.pods as K8sPod[], opts.maxUnhealthyPodLogs) : [];
  apiCalls += targets.length;
  gaps.push(...(await readPodLogs(port, targets, cluster.logs, opts)));

  return { cluster, gaps, apiCalls };
}

/**
 * Reads each target's log (with timestamps) into `logs`, keyed `ns/pod/container[/previous]`;
 * a log that cannot be read is a gap and leaves whatever `logs` held for it.
 */
export async function readPodLogs(
  port: ClusterPort,
  targets: readonly LogTarget[],
  logs: Record<string, string>,
  opts: Pick<CollectClusterOptions, 'timeoutMs' | 'concurrency' | 'logTailLines'> = DEFAULT_COLLECT_OPTIONS,
): Promise<Gap[]> {
  const gaps: Gap[] = [];
  await mapLimit(targets, opts.concurrency, async (t) => {
    const key = `${t.namespace}/${t.pod}/${t.container}${t.previous ? '/previous' : ''}`;
    try {
      logs[key] = await withTimeout(
        port.podLog({ ...t, tailLines: opts.logTailLines, timestamps: true }),
        opts.timeoutMs,
        `logs of ${key}`,
      );
    } catch (err) {
      // A container that never crashed has no previous log: that is not a gap.
      if (t.previous && classifyApiError(err).reason !== 'forbidden') return;
      gaps.push(gapFrom(`logs/${key}`, err));
    }
  });
  return gaps;
}

/** Server-side-apply bookkeeping: often half an object's size, and never analyzed. */
function withoutManagedFields(obj: unknown): unknown {
  const meta = (obj as { metadata?: Record<string, unknown> }).metadata;
  if (meta && 'managedFields' in meta) delete meta['managedFields'];
  return obj;
}

function nameOf(obj: unknown): string {
  return (obj as { metadata?: { name?: string } }).metadata?.name ?? '';
}
