/**
 * The report with its keys in the contract's order (PRODUCT.md), whatever order the analysis
 * built them in. report.json is diffed between runs and read by people, so the order must not
 * depend on code paths; JSON and YAML both serialise this.
 */
import type { Evidence, Finding, Gap, Report, RootCause, RuleOutcome, Subject } from '../core/model.ts';
import type { ProbeEndpoint, ProbeResult } from '../core/probe-types.ts';
import { isProbeResults } from './report-view.ts';

const REPORT_KEYS = [
  'schemaVersion',
  'generatedAt',
  'verdict',
  'pattern',
  'rootCauses',
  'findings',
  'probes',
  'gaps',
  'rules',
  'coverage',
  'unexplained',
  'meta',
  'routeMatrix',
  'latencyMatrix',
  'policyMatrix',
] as const;
const PATTERN_KEYS = ['score', 'signals', 'match'] as const;
const ROOT_CAUSE_KEYS = [
  'category',
  'subject',
  'confidence',
  'summary',
  'evidence',
  'explains',
  'remediation',
  'finding',
] as const;
const SUBJECT_KEYS = ['kind', 'name', 'namespace'] as const;
const EVIDENCE_KEYS = ['source', 'observed', 'expected'] as const;
const FINDING_KEYS = [
  'id',
  'rule',
  'layer',
  'severity',
  'subject',
  'summary',
  'evidence',
  'cause',
  'symptom',
  'nextCommands',
] as const;
const CAUSE_KEYS = ['category', 'confidence', 'remediation', 'nodes'] as const;
const SYMPTOM_KEYS = ['kind', 'nodes'] as const;
const PROBES_KEYS = ['startedAt', 'durationMs', 'results'] as const;
const PROBE_RESULT_KEYS = [
  'id',
  'scenario',
  'from',
  'to',
  'protocol',
  'size',
  'expect',
  'outcome',
  'ping',
] as const;
const PING_KEYS = ['sent', 'received', 'minMs', 'avgMs', 'maxMs'] as const;
const ENDPOINT_KEYS = ['node', 'pod', 'namespace', 'ip', 'port', 'name'] as const;
const OUTCOME_KEYS = ['status', 'rttMs', 'error', 'reason', 'detail'] as const;
const GAP_KEYS = ['collector', 'reason', 'detail', 'node'] as const;
const RULE_KEYS = ['rule', 'status', 'findings', 'reason', 'error', 'note', 'notCollected'] as const;
const COVERAGE_KEYS = ['sufficient', 'shortfalls', 'thresholds', 'nodes', 'probes', 'rules'] as const;
const COVERAGE_NODES_KEYS = ['total', 'collected', 'notCollected'] as const;
const COVERAGE_PROBES_KEYS = ['planned', 'ran', 'errored', 'skipped', 'reason'] as const;
const COVERAGE_RULES_KEYS = [
  'total',
  'applicable',
  'evaluated',
  'errored',
  'skipped',
  'partial',
  'notApplicable',
] as const;
const REASON_KEYS = ['node', 'rule', 'reason', 'notCollected'] as const;
const UNEXPLAINED_KEYS = ['finding', 'summary'] as const;
const META_KEYS = ['createdAt', 'source', 'netdoctorVersion', 'cluster', 'description'] as const;
const CLUSTER_KEYS = ['name', 'context', 'kubernetesVersion'] as const;
const ROUTE_MATRIX_KEYS = ['nodes', 'cells', 'onlyProblems'] as const;
const ROUTE_NODE_KEYS = ['name', 'podCIDR'] as const;
const ROUTE_CELL_KEYS = ['from', 'to', 'state', 'route'] as const;
const LATENCY_MATRIX_KEYS = ['nodes', 'cells', 'baselineMs'] as const;
const LATENCY_CELL_KEYS = ['from', 'to', 'sent', 'received', 'minMs', 'avgMs', 'maxMs', 'outlier'] as const;
const POLICY_MATRIX_KEYS = ['workloads', 'cells', 'port', 'protocol', 'omitted'] as const;
const POLICY_WORKLOAD_KEYS = ['id', 'namespace', 'name', 'pods', 'representative'] as const;
const POLICY_CELL_KEYS = ['from', 'to', 'state', 'port', 'protocol', 'deniedBy'] as const;

/**
 * Copies `obj` with `keys` first, in that order, and any other key after them sorted, so a field
 * added to the model later is kept (and shows up in the schema test) instead of silently lost.
 * Undefined values are dropped, as JSON.stringify would.
 */
function ordered<T extends object>(
  obj: T,
  keys: readonly string[],
  nested: Record<string, (v: never) => unknown> = {},
): T {
  const src = obj as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  const rest = Object.keys(src)
    .filter((k) => !keys.includes(k))
    .sort();
  for (const k of [...keys, ...rest]) {
    const v = src[k];
    if (v === undefined) continue;
    const fix = nested[k];
    out[k] = fix === undefined ? v : fix(v as never);
  }
  return out as T;
}

const subject = (s: Subject): Subject => ordered(s, SUBJECT_KEYS);
const evidence = (es: Evidence[]): Evidence[] => es.map((e) => ordered(e, EVIDENCE_KEYS));
const endpoint = (e: ProbeEndpoint): ProbeEndpoint => ordered(e, ENDPOINT_KEYS);

function rootCause(rc: RootCause): RootCause {
  return ordered(rc, ROOT_CAUSE_KEYS, { subject, evidence });
}

function finding(f: Finding): Finding {
  return ordered(f, FINDING_KEYS, {
    subject,
    evidence,
    cause: (c: NonNullable<Finding['cause']>) => ordered(c, CAUSE_KEYS),
    symptom: (s: NonNullable<Finding['symptom']>) => ordered(s, SYMPTOM_KEYS),
  });
}

function probeResult(r: ProbeResult): ProbeResult {
  return ordered(r, PROBE_RESULT_KEYS, {
    from: endpoint,
    to: endpoint,
    outcome: (o: ProbeResult['outcome']) => ordered(o, OUTCOME_KEYS),
    ping: (p: NonNullable<ProbeResult['ping']>) => ordered(p, PING_KEYS),
  });
}

function probes(p: Report['probes']): Report['probes'] {
  if (!isProbeResults(p)) return p;
  return ordered(p, PROBES_KEYS, { results: (rs: ProbeResult[]) => rs.map(probeResult) });
}

function coverage(c: Report['coverage']): Report['coverage'] {
  const reasons = <T extends object>(list: T[]): T[] => list.map((x) => ordered(x, REASON_KEYS));
  return ordered(c, COVERAGE_KEYS, {
    nodes: (n: Report['coverage']['nodes']) => ordered(n, COVERAGE_NODES_KEYS, { notCollected: reasons }),
    probes: (p: Report['coverage']['probes']) => ordered(p, COVERAGE_PROBES_KEYS),
    rules: (r: Report['coverage']['rules']) =>
      ordered(r, COVERAGE_RULES_KEYS, { skipped: reasons, partial: reasons, notApplicable: reasons }),
  });
}

/** A copy of the report with every object's keys in contract order. */
export function orderedReport(report: Report): Report {
  return ordered(report, REPORT_KEYS, {
    pattern: (p: Report['pattern']) => ordered(p, PATTERN_KEYS),
    rootCauses: (rcs: RootCause[]) => rcs.map(rootCause),
    findings: (fs: Finding[]) => fs.map(finding),
    probes,
    gaps: (gs: Gap[]) => gs.map((g) => ordered(g, GAP_KEYS)),
    rules: (rs: RuleOutcome[]) => rs.map((r) => ordered(r, RULE_KEYS)),
    coverage,
    unexplained: (us: Report['unexplained']) => us.map((u) => ordered(u, UNEXPLAINED_KEYS)),
    meta: (m: Report['meta']) =>
      ordered(m, META_KEYS, {
        cluster: (c: NonNullable<Report['meta']['cluster']>) => ordered(c, CLUSTER_KEYS),
      }),
    routeMatrix: (m: NonNullable<Report['routeMatrix']>) =>
      ordered(m, ROUTE_MATRIX_KEYS, {
        nodes: (ns: NonNullable<Report['routeMatrix']>['nodes']) =>
          ns.map((n) => ordered(n, ROUTE_NODE_KEYS)),
        cells: (cs: NonNullable<Report['routeMatrix']>['cells']) =>
          cs.map((c) => ordered(c, ROUTE_CELL_KEYS)),
      }),
    latencyMatrix: (m: NonNullable<Report['latencyMatrix']>) =>
      ordered(m, LATENCY_MATRIX_KEYS, {
        cells: (cs: NonNullable<Report['latencyMatrix']>['cells']) =>
          cs.map((c) => ordered(c, LATENCY_CELL_KEYS)),
      }),
    policyMatrix: (m: NonNullable<Report['policyMatrix']>) =>
      ordered(m, POLICY_MATRIX_KEYS, {
        workloads: (ws: NonNullable<Report['policyMatrix']>['workloads']) =>
          ws.map((w) => ordered(w, POLICY_WORKLOAD_KEYS)),
        cells: (cs: NonNullable<Report['policyMatrix']>['cells']) =>
          cs.map((c) => ordered(c, POLICY_CELL_KEYS)),
      }),
  });
}
