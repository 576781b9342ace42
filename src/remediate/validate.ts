/**
 * The validation suite (seed 001's test_problem_statement_scenarios.sh, plus seed 002's app
 * check): pod-to-pod ping and HTTP between every node pair, DNS in the cluster and outside it,
 * component health, ClusterIP and NodePort on every node, and HTTP to named application pods.
 * Built from one list per kind and one probe run; `netdoctor validate` renders it and the
 * executor's final phase calls it. A check that cannot run is skipped with its reason.
 */
import { classifyApiError } from '../cluster/api-error.ts';
import type { ClusterPort, ListKind } from '../cluster/port.ts';
import type { ClusterState, K8sDaemonSet, K8sNode, K8sPod } from '../core/cluster-types.ts';
import { emptyClusterState } from '../core/cluster-types.ts';
import { NetdoctorError } from '../core/errors.ts';
import type { Gap } from '../core/model.ts';
import type { ProbeResult } from '../core/probe-types.ts';
import { withTimeout } from '../core/timeout.ts';
import { CLUSTER_DNS_NAME } from '../probe/plan.ts';
import { type ProbeRun, runProbes } from '../probe/run-probes.ts';
import { APP_VARIANT, appTargetName } from '../probe/scenarios/app-http.ts';
import type { AppTarget, TlsTarget } from '../probe/types.ts';
import { type JunitCase, type JunitSuite, renderJunitSuites } from '../report/render-junit.ts';

/** The check groups, in the order they are reported. */
export const CHECK_GROUPS = [
  'component-health',
  'pod-to-pod-ping',
  'pod-to-pod-http',
  'dns-cluster',
  'dns-external',
  'external',
  'service-clusterip',
  'service-nodeport',
  'app',
  'tls',
] as const;
export type CheckGroup = (typeof CHECK_GROUPS)[number];

export type CheckStatus = 'pass' | 'fail' | 'skipped' | 'error';

export interface Check {
  group: CheckGroup;
  /** Stable within a cluster: `node1 -> node2`, `node ndlab-node1 Ready`. */
  name: string;
  status: CheckStatus;
  /** What was seen: the failing detail, or the evidence of a pass. */
  detail?: string;
  durationMs?: number;
}

export interface ValidationResult {
  schemaVersion: 1;
  passed: boolean;
  startedAt: string;
  durationMs: number;
  summary: Record<CheckStatus, number>;
  checks: Check[];
  gaps: Gap[];
}

/** `ns/pod:port` as given to `--target`. */
export interface TargetSpec {
  namespace: string;
  pod: string;
  port: number;
}

export interface ValidateOptions {
  /** Probe pod image (busybox, iputils ping, curl, dig). */
  image: string;
  /** Namespace for the probe pods and Service; it must exist. */
  namespace: string;
  runId: string;
  externalTarget?: string;
  externalName?: string;
  targets?: TargetSpec[];
  /** Outside services whose TLS handshake every node checks, and the CA those checks trust. */
  tlsTargets?: TlsTarget[];
  tlsCa?: string;
  /** Budget for the probe phase; default 120 s. */
  timeoutMs?: number;
  /** Substitute probe runner for tests; the real one otherwise. */
  runProbes?: typeof runProbes;
  now?: () => Date;
}

const LIST_MS = 20_000;
const CNI_DAEMONSET = /flannel|calico|cilium|canal|weave|antrea/i;

/** Parses `ns/pod:port`; a usage error otherwise. */
export function parseTarget(s: string): TargetSpec {
  const m = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([a-z0-9]([-.a-z0-9]*[a-z0-9])?):(\d{1,5})$/.exec(s);
  const port = m ? Number(m[5]) : 0;
  if (!m || port < 1 || port > 65535)
    throw new NetdoctorError(
      'usage',
      `--target ${s}: expected <namespace>/<pod>:<port>, e.g. media/jellyfin-0:8096`,
    );
  return { namespace: m[1] as string, pod: m[3] as string, port };
}

/** The objects the suite needs, one list call per kind; a forbidden or failed list is a gap. */
async function listCluster(port: ClusterPort, gaps: Gap[]): Promise<ClusterState> {
  const cluster = emptyClusterState();
  const kinds = ['nodes', 'pods', 'services', 'daemonSets'] as const satisfies readonly ListKind[];
  const lists = await Promise.all(
    kinds.map(async (kind) => {
      try {
        return await withTimeout(port.list(kind), LIST_MS, `list ${kind}`);
      } catch (err) {
        const { reason, detail } = classifyApiError(err);
        // Nothing can be validated without the nodes: that is "cannot read the cluster" (exit 3).
        if (kind === 'nodes' && reason !== 'forbidden')
          throw new NetdoctorError(
            'cluster-unreachable',
            `cannot list nodes at ${port.target.server}: ${detail}`,
            {
              cause: err,
            },
          );
        gaps.push({ collector: `validate/${kind}`, reason, detail });
        return [];
      }
    }),
  );
  cluster.nodes = lists[0] as ClusterState['nodes'];
  cluster.pods = lists[1] as ClusterState['pods'];
  cluster.services = lists[2] as ClusterState['services'];
  cluster.daemonSets = lists[3] as ClusterState['daemonSets'];
  return cluster;
}

function nodeReady(n: K8sNode): { ready: boolean; why: string } {
  const c = n.status.conditions?.find((x) => x.type === 'Ready');
  return {
    ready: c?.status === 'True',
    why: c ? `Ready=${c.status}${c.reason ? ` (${c.reason})` : ''}` : 'no Ready condition',
  };
}

/**
 * How long past its deletion time (`deletionTimestamp`, which the API server sets to the
 * request time plus the grace period) a pod may still be listed before it counts as stuck. A
 * pod a repair just recreated is still listed, not ready, while it shuts down; its successor is
 * what counts.
 */
const TERMINATING_OVERDUE_MS = 60_000;

/** Why a pod is unhealthy (CrashLoopBackOff, not ready, pending), or undefined when it is fine. */
function podProblem(p: K8sPod, now: number): string | undefined {
  if (p.status.phase === 'Succeeded') return undefined;
  if (p.metadata.deletionTimestamp !== undefined) {
    const due = Date.parse(p.metadata.deletionTimestamp);
    const overdue = Number.isNaN(due) ? 0 : now - due;
    return overdue > TERMINATING_OVERDUE_MS
      ? `stuck terminating, ${Math.round(overdue / 1000)} s past its deletion time`
      : undefined;
  }
  const waiting = (p.status.containerStatuses ?? [])
    .map((c) => (c.state?.waiting?.reason ? `${c.name}: ${c.state.waiting.reason}` : ''))
    .filter(Boolean);
  if (waiting.length > 0) return waiting.join(', ');
  if (p.status.phase !== 'Running') return `phase ${p.status.phase ?? 'unknown'}`;
  const ready = p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  if (!ready) {
    const notReady = (p.status.containerStatuses ?? []).filter((c) => !c.ready).map((c) => c.name);
    return `not ready${notReady.length ? ` (${notReady.join(', ')})` : ''}`;
  }
  return undefined;
}

function cniDaemonSets(cluster: ClusterState): K8sDaemonSet[] {
  return cluster.daemonSets.filter((d) => CNI_DAEMONSET.test(d.metadata.name));
}

function podsDetail(pods: K8sPod[]): string {
  const leaving = pods.filter((p) => p.metadata.deletionTimestamp !== undefined).length;
  return `${pods.length - leaving} pod(s) running and ready${leaving ? `; ${leaving} shutting down` : ''}`;
}

/**
 * Component health: every node Ready, the system pods healthy, the CNI DaemonSet fully ready.
 * A pod being deleted is judged only once it is stuck (see TERMINATING_OVERDUE_MS): `now` is the
 * time the pods were listed.
 */
export function componentChecks(
  cluster: ClusterState,
  listed: { pods: boolean; daemonSets: boolean },
  now: number,
): Check[] {
  const checks: Check[] = [];
  const group = 'component-health' as const;
  for (const n of [...cluster.nodes].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))) {
    const r = nodeReady(n);
    checks.push({
      group,
      name: `node ${n.metadata.name} Ready`,
      status: r.ready ? 'pass' : 'fail',
      detail: r.why,
    });
  }
  if (cluster.nodes.length === 0)
    checks.push({ group, name: 'nodes', status: 'error', detail: 'no node could be listed' });

  const cni = cniDaemonSets(cluster);
  const namespaces = [...new Set(['kube-system', ...cni.map((d) => d.metadata.namespace ?? 'kube-system')])];
  for (const ns of namespaces) {
    const name = `pods in ${ns} running and ready`;
    if (!listed.pods) {
      checks.push({ group, name, status: 'skipped', detail: 'pods could not be listed' });
      continue;
    }
    const pods = cluster.pods.filter((p) => p.metadata.namespace === ns);
    const bad = pods
      .map((p) => ({ p, why: podProblem(p, now) }))
      .filter((x): x is { p: K8sPod; why: string } => x.why !== undefined)
      .map((x) => `${x.p.metadata.name}${x.p.spec.nodeName ? ` on ${x.p.spec.nodeName}` : ''}: ${x.why}`);
    checks.push(
      bad.length === 0
        ? { group, name, status: 'pass', detail: podsDetail(pods) }
        : { group, name, status: 'fail', detail: bad.join('; ') },
    );
  }

  if (!listed.daemonSets) {
    checks.push({
      group,
      name: 'CNI DaemonSet ready',
      status: 'skipped',
      detail: 'DaemonSets could not be listed',
    });
  } else if (cni.length === 0) {
    checks.push({
      group,
      name: 'CNI DaemonSet ready',
      status: 'fail',
      detail: 'no CNI DaemonSet (flannel, calico, cilium, canal, weave, antrea) found',
    });
  } else {
    for (const d of cni) {
      const s = d.status ?? {};
      const desired = s.desiredNumberScheduled ?? 0;
      const ready = s.numberReady ?? 0;
      const ok = desired > 0 && ready === desired && (s.numberUnavailable ?? 0) === 0;
      checks.push({
        group,
        name: `DaemonSet ${d.metadata.namespace}/${d.metadata.name} ready`,
        status: ok ? 'pass' : 'fail',
        detail: `${ready}/${desired} ready${s.numberUnavailable ? `, ${s.numberUnavailable} unavailable` : ''}`,
      });
    }
  }
  return checks;
}

function ep(e: ProbeResult['to']): string {
  if (e.node && !e.name) return e.node;
  return e.name ?? e.pod ?? e.ip ?? '?';
}

/** One check from one probe result, judged against its expectation. */
function probeCheck(group: CheckGroup, name: string, r: ProbeResult): Check {
  const o = r.outcome;
  const base = { group, name };
  switch (o.status) {
    case 'skipped':
      return { ...base, status: 'skipped', detail: o.reason };
    case 'error':
      return { ...base, status: 'error', detail: o.error };
    case 'pass':
      return r.expect === 'pass'
        ? {
            ...base,
            status: 'pass',
            ...(o.detail ? { detail: o.detail } : {}),
            ...(o.rttMs !== undefined ? { durationMs: o.rttMs } : {}),
          }
        : {
            ...base,
            status: 'fail',
            detail: `got through but was expected to fail${o.detail ? `: ${o.detail}` : ''}`,
          };
    case 'fail':
      return r.expect === 'fail'
        ? { ...base, status: 'pass', detail: `blocked as expected (${o.error})` }
        : { ...base, status: 'fail', detail: `${o.error}${o.detail ? `: ${o.detail}` : ''}` };
  }
}

/** The probe results mapped onto the suite's groups (MTU probes are diagnose's, not the suite's). */
export function probeChecks(results: readonly ProbeResult[], externalName?: string): Check[] {
  const checks: Check[] = [];
  for (const r of results) {
    const from = r.from.node ?? '?';
    const isApp = r.scenario === 'pod-to-pod-tcp' && r.id.split('/')[2] === APP_VARIANT;
    switch (r.scenario) {
      case 'pod-to-pod-icmp':
        checks.push(probeCheck('pod-to-pod-ping', `${from} -> ${ep(r.to)}`, r));
        break;
      case 'pod-to-pod-tcp':
        if (isApp) checks.push(probeCheck('app', `${from} -> ${r.to.name ?? r.to.pod ?? '?'}`, r));
        else checks.push(probeCheck('pod-to-pod-http', `${from} -> ${ep(r.to)}`, r));
        break;
      case 'dns-udp':
      case 'dns-tcp': {
        const proto = r.scenario === 'dns-udp' ? 'UDP' : 'TCP';
        const server = r.id.split('/')[2] ?? '?';
        const external = externalName !== undefined && r.to.name === externalName;
        checks.push(
          probeCheck(
            external ? 'dns-external' : 'dns-cluster',
            `${from}: ${r.to.name ?? CLUSTER_DNS_NAME} via ${server} over ${proto}`,
            r,
          ),
        );
        break;
      }
      case 'external':
        checks.push(probeCheck('external', `${from} -> ${r.to.name ?? ep(r.to)}`, r));
        break;
      case 'service-clusterip':
        checks.push(
          probeCheck('service-clusterip', `${from} -> ${r.to.name ?? 'probe Service'} ClusterIP`, r),
        );
        break;
      case 'nodeport':
        checks.push(probeCheck('service-nodeport', `${from} -> ${r.to.node ?? r.to.ip ?? '?'}:NodePort`, r));
        break;
      case 'tls': {
        const c = probeCheck('tls', `${from} -> ${r.to.name ?? ep(r.to)}`, r);
        const days = r.tls?.daysLeft;
        checks.push(
          c.status === 'pass' && days !== undefined
            ? { ...c, detail: `${c.detail ?? 'verified'}, certificate valid ${days} more days` }
            : c,
        );
        break;
      }
      case 'mtu':
        break;
    }
  }
  return checks;
}

/** Resolves `--target` specs to pod IPs from the pod list. */
export function appTargets(cluster: ClusterState, specs: readonly TargetSpec[]): AppTarget[] {
  return specs.map((t) => {
    const p = cluster.pods.find((x) => x.metadata.namespace === t.namespace && x.metadata.name === t.pod);
    const base = { namespace: t.namespace, pod: t.pod, port: t.port };
    if (!p) return { ...base, missing: `pod ${t.namespace}/${t.pod} not found` };
    const node = p.spec.nodeName;
    if (!p.status.podIP)
      return { ...base, ...(node ? { node } : {}), missing: `pod ${t.namespace}/${t.pod} has no IP` };
    return { ...base, ip: p.status.podIP, ...(node ? { node } : {}) };
  });
}

function tallyChecks(checks: readonly Check[]): Record<CheckStatus, number> {
  const s: Record<CheckStatus, number> = { pass: 0, fail: 0, skipped: 0, error: 0 };
  for (const c of checks) s[c.status] += 1;
  return s;
}

/** Groups the suite reports even when nothing ran in them, with why. */
function emptyGroupChecks(checks: readonly Check[], opts: ValidateOptions): Check[] {
  const have = new Set(checks.map((c) => c.group));
  const out: Check[] = [];
  if (!have.has('dns-external'))
    out.push({
      group: 'dns-external',
      name: 'external name through cluster DNS',
      status: 'skipped',
      detail: opts.externalName
        ? 'no DNS probe ran'
        : 'no --external-name given (air-gapped clusters have none)',
    });
  if (!have.has('external'))
    out.push({
      group: 'external',
      name: 'external HTTP',
      status: 'skipped',
      detail: opts.externalTarget ? 'no external probe ran' : 'no --external-target given',
    });
  return out;
}

export async function runValidation(port: ClusterPort, opts: ValidateOptions): Promise<ValidationResult> {
  const now = opts.now ?? (() => new Date());
  const started = now();
  const t0 = Date.now();
  const gaps: Gap[] = [];
  const cluster = await listCluster(port, gaps);
  const listed = {
    pods: !gaps.some((g) => g.collector === 'validate/pods'),
    daemonSets: !gaps.some((g) => g.collector === 'validate/daemonSets'),
  };
  const checks = componentChecks(cluster, listed, Date.now());
  const targets = appTargets(cluster, opts.targets ?? []);
  const probe = opts.runProbes ?? runProbes;
  let run: ProbeRun;
  try {
    run = await probe(port, cluster, {
      image: opts.image,
      namespace: opts.namespace,
      runId: opts.runId,
      timeoutMs: opts.timeoutMs ?? 120_000,
      ...(opts.externalTarget ? { externalTarget: opts.externalTarget } : {}),
      ...(opts.externalName ? { externalName: opts.externalName } : {}),
      ...(targets.length > 0 ? { appTargets: targets } : {}),
      ...(opts.tlsTargets ? { tlsTargets: opts.tlsTargets } : {}),
      ...(opts.tlsCa ? { tlsCa: opts.tlsCa } : {}),
    });
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    gaps.push({ collector: 'validate/probes', reason: 'error', detail });
    run = {
      results: { startedAt: started.toISOString(), durationMs: 0, results: [] },
      captures: {},
      gaps: [],
    };
    checks.push({ group: 'pod-to-pod-ping', name: 'probe run', status: 'error', detail });
  }
  gaps.push(...run.gaps);
  // A named target that does not exist (or has no IP) is a failure of the check, not a skip.
  const fromProbes = probeChecks(run.results.results, opts.externalName).map((c) =>
    c.group === 'app' && c.status === 'skipped' ? { ...c, status: 'error' as const } : c,
  );
  checks.push(...fromProbes);
  if (run.results.results.length > 0) checks.push(...emptyGroupChecks(checks, opts));
  for (const t of targets.filter((x) => x.missing !== undefined && !checks.some((c) => c.group === 'app'))) {
    checks.push({ group: 'app', name: appTargetName(t), status: 'error', detail: t.missing as string });
  }
  const order = (g: CheckGroup) => CHECK_GROUPS.indexOf(g);
  checks.sort((a, b) => order(a.group) - order(b.group) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const summary = tallyChecks(checks);
  return {
    schemaVersion: 1,
    passed: summary.fail === 0 && summary.error === 0 && summary.pass > 0,
    startedAt: started.toISOString(),
    durationMs: Date.now() - t0,
    summary,
    checks,
    gaps,
  };
}

// ---- renderers (pure) -------------------------------------------------------------------------

const MARK: Record<CheckStatus, string> = { pass: '✓', fail: '✗', error: '✗', skipped: '-' };

/** A checklist: one line per check, the failing detail under each failure. */
export function renderValidationText(v: ValidationResult, opts: { verbose?: boolean } = {}): string {
  const lines: string[] = [];
  for (const g of CHECK_GROUPS) {
    const cs = v.checks.filter((c) => c.group === g);
    if (cs.length === 0) continue;
    const bad = cs.filter((c) => c.status === 'fail' || c.status === 'error').length;
    lines.push(`${bad === 0 ? MARK.pass : MARK.fail} ${g} (${cs.length - bad}/${cs.length})`);
    for (const c of cs) {
      const failing = c.status === 'fail' || c.status === 'error';
      const showDetail = failing || c.status === 'skipped' || opts.verbose === true;
      lines.push(
        `    ${MARK[c.status]} ${c.name}${c.status === 'error' ? ' (error)' : ''}${showDetail && c.detail ? `: ${c.detail}` : ''}`,
      );
    }
  }
  const s = v.summary;
  const total = v.checks.length;
  lines.push('');
  lines.push(
    v.passed
      ? `validation passed: ${s.pass}/${total} checks${s.skipped ? `, ${s.skipped} skipped` : ''} (${(v.durationMs / 1000).toFixed(1)} s)`
      : `validation FAILED: ${s.fail} failed, ${s.error} error(s), ${s.pass} passed, ${s.skipped} skipped of ${total} (${(v.durationMs / 1000).toFixed(1)} s)`,
  );
  if (v.gaps.length > 0) {
    lines.push(`${v.gaps.length} gap(s):`);
    for (const g of v.gaps)
      lines.push(
        `    ${g.collector}${g.node ? ` on ${g.node}` : ''}: ${g.reason}${g.detail ? `: ${g.detail}` : ''}`,
      );
  }
  return `${lines.join('\n')}\n`;
}

export function renderValidationJson(v: ValidationResult): string {
  return `${JSON.stringify(v, null, 2)}\n`;
}

/** One testsuite per check group, one testcase per check. */
export function renderValidationJunit(v: ValidationResult): string {
  const suites: JunitSuite[] = CHECK_GROUPS.map((g) => ({
    name: `validate.${g}`,
    timestamp: v.startedAt,
    cases: v.checks.filter((c) => c.group === g).map(junitCase),
  })).filter((s) => s.cases.length > 0);
  return renderJunitSuites(suites, 'netdoctor validate');
}

function junitCase(c: Check): JunitCase {
  const base: JunitCase = {
    classname: `validate.${c.group}`,
    name: c.name,
    seconds: (c.durationMs ?? 0) / 1000,
  };
  const detail = c.detail ?? '';
  switch (c.status) {
    case 'pass':
      return base;
    case 'fail':
      return {
        ...base,
        result: { element: 'failure', message: detail.slice(0, 300), type: 'fail', text: detail },
      };
    case 'error':
      return { ...base, result: { element: 'error', message: detail.slice(0, 300), text: detail } };
    case 'skipped':
      return { ...base, result: { element: 'skipped', message: detail } };
  }
}
