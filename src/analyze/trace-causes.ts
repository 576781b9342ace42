/**
 * Trace-driven causes: every failed probe is traced through the datapath model (both ways: the
 * request, and when that arrives, the reply), and the first broken hop becomes a cause finding
 * with the hop as evidence. This names faults outside the catalog by the place where packets
 * die: a hand-added DROP, a wrong FDB entry, a missing route. Pure, like every rule: it reads
 * the snapshot and the other rules' findings only.
 */

import type { NodeDatapath } from '../core/datapath-types.ts';
import { formatFirewallRule } from '../core/firewall-rule.ts';
import type { Evidence, Finding, FlowTrace, Snapshot, SymptomKind } from '../core/model.ts';
import type { ProbeResult, ProbeScenario } from '../core/probe-types.ts';
import { traceProbe, withProbePods } from '../datapath/trace-probe.ts';
import type { TraceHop, TraceResult } from '../datapath/trace-types.ts';
import { causeFinding } from './finding.ts';
import { describeProbe, failedProbe, probeSource } from './rules/support/probes.ts';
import { causeOfHop, type HopCause } from './trace-hop-causes.ts';

/** The id under which traced causes appear in reports (findings' `rule`, outcomes). */
export const TRACE_RULE_ID = 'trace-failed-probes';

/** Probes whose path the tracer can follow: pod to pod, to a Service or a DNS server, out of the cluster. */
const TRACEABLE: ReadonlySet<ProbeScenario> = new Set<ProbeScenario>([
  'pod-to-pod-icmp',
  'pod-to-pod-tcp',
  'dns-udp',
  'dns-tcp',
  'service-clusterip',
  'external',
  'tls',
]);

/** The datapath parts every hop on a node is judged from; iptables from both backends. */
const TRACE_PARTS = [
  'links',
  'routes',
  'neighbors',
  'fdb',
  'iptablesNft',
  'iptablesLegacy',
  'sysctls',
] as const;

function wholeDatapath(dp: NodeDatapath | undefined): boolean {
  return dp !== undefined && TRACE_PARTS.every((k) => dp[k] !== undefined);
}

/** Enough traces to find every broken hop of a large cluster; each costs a few rule walks. */
const MAX_TRACES = 400;
/** Traces and probes kept as evidence per cause. */
const MAX_TRACE_EVIDENCE = 3;

/** The failed probes worth tracing, in the order they were recorded. */
export function traceableFailures(snapshot: Pick<Snapshot, 'probes'>): ProbeResult[] {
  return (snapshot.probes?.results ?? [])
    .filter((r) => TRACEABLE.has(r.scenario) && failedProbe(r) && r.from.ip && r.to.ip && reachedNothing(r))
    .slice(0, MAX_TRACES);
}

/**
 * A TLS probe that got a certificate it refused crossed the network fine: nothing to trace. Every
 * other failure may have died on the way.
 */
function reachedNothing(r: ProbeResult): boolean {
  return r.tls === undefined || r.tls.verify === 'not-reached';
}

/**
 * The nodes whose datapath tracing needs: both ends of every traceable failed probe, and the
 * nodes of the pods behind the Services they went to. Streaming analysis keeps only these.
 */
export function nodesToTrace(snapshot: Pick<Snapshot, 'probes' | 'cluster'>): Set<string> {
  const out = new Set<string>();
  const failures = traceableFailures(snapshot);
  for (const r of failures) {
    if (r.from.node) out.add(r.from.node);
    if (r.to.node) out.add(r.to.node);
  }
  // A probe to a Service goes on to one of its endpoints: keep those nodes, of those Services only.
  const serviceIps = new Set(failures.filter((r) => !r.to.node).map((r) => r.to.ip));
  if (serviceIps.size === 0) return out;
  const services = new Set(
    snapshot.cluster.services
      .filter((s) => s.spec.clusterIP && serviceIps.has(s.spec.clusterIP))
      .map((s) => `${s.metadata.namespace ?? 'default'}/${s.metadata.name}`),
  );
  for (const sl of snapshot.cluster.endpointSlices) {
    const svc = `${sl.metadata.namespace ?? 'default'}/${sl.metadata.labels?.['kubernetes.io/service-name'] ?? ''}`;
    if (!services.has(svc)) continue;
    for (const e of sl.endpoints ?? []) if (e.nodeName) out.add(e.nodeName);
  }
  return out;
}

function hopLine(h: TraceHop): string {
  return `[${h.status}]${h.node ? ` ${h.node}:` : ''} ${h.status === 'ok' ? h.summary : (h.reason ?? h.summary)}`;
}

function flowTrace(r: ProbeResult, t: TraceResult, direction: FlowTrace['direction']): FlowTrace {
  const end = t.stoppedAt === undefined ? t.hops.length : t.stoppedAt + 1;
  return { probe: r.id, direction, status: t.status, hops: t.hops.slice(0, end).map(hopLine) };
}

/** One traced fault: the hop, what it means, and every failed probe that dies there. */
interface TracedFault {
  hop: TraceHop;
  cause: HopCause;
  probes: ProbeResult[];
  traces: FlowTrace[];
}

/**
 * Traces every failed probe and returns one cause finding per broken hop (a hop shared by many
 * probes is one cause). Each finding's claim `explains` the symptom findings whose evidence
 * names a probe that dies at it.
 */
export function traceFailedProbes(snapshot: Snapshot, findings: readonly Finding[]): Finding[] {
  const failures = traceableFailures(snapshot);
  // Without the node list there is no pod subnet, address or VTEP to check a hop against.
  if (failures.length === 0 || snapshot.cluster.nodes.length === 0) return [];
  const snap = withProbePods(snapshot, failures);
  const faults = new Map<string, TracedFault>();
  const note = (r: ProbeResult, t: TraceResult, direction: FlowTrace['direction']): boolean => {
    if (t.status !== 'broken' || t.stoppedAt === undefined) return false;
    const hop = t.hops[t.stoppedAt] as TraceHop;
    // A hop judged on a node with parts of its datapath missing may be broken only for want of
    // them: a hole in the collection is not a fact about the cluster.
    if (!t.hops.every((h) => h.node === undefined || wholeDatapath(snap.nodes[h.node]))) return false;
    const cause = causeOfHop(hop);
    if (!cause) return false;
    const key = `${cause.category}|${hop.node ?? ''}|${cause.key}`;
    const f = faults.get(key) ?? { hop, cause, probes: [], traces: [] };
    f.probes.push(r);
    if (f.traces.length < MAX_TRACE_EVIDENCE) f.traces.push(flowTrace(r, t, direction));
    faults.set(key, f);
    return true;
  };
  for (const r of failures) {
    const { request, reply } = traceProbe(snap, r);
    if (request) note(r, request, 'request');
    if (reply) note(r, reply, 'reply');
  }

  const symptoms = findings.filter((f) => f.symptom && !f.cause);
  const out: Finding[] = [];
  for (const f of faults.values()) out.push(findingOf(f, symptomsOfProbes(f.probes, symptoms)));
  return out;
}

/** The symptom kinds a failed probe of each scenario shows up as. */
const SYMPTOMS_OF: Readonly<Record<string, readonly SymptomKind[]>> = {
  'pod-to-pod-icmp': ['pod-to-pod-failed', 'cross-node-failed', 'same-node-failed'],
  'pod-to-pod-tcp': ['pod-to-pod-failed', 'cross-node-failed', 'same-node-failed'],
  'dns-udp': ['dns-failed', 'dns-udp-failed'],
  'dns-tcp': ['dns-failed', 'dns-tcp-failed'],
  'service-clusterip': ['service-failed'],
  external: ['external-failed'],
  tls: ['tls-failed'],
};

/**
 * The symptom findings that report these probes: those naming one of them in their evidence,
 * and those of the probe's kind whose nodes are the probe's own (a symptom rule lists only a
 * few of the probes it sums up).
 */
function symptomsOfProbes(probes: readonly ProbeResult[], symptoms: readonly Finding[]): string[] {
  const out = new Set<string>();
  const ids = new Set(probes.map((p) => probeSource(p)));
  for (const s of symptoms) {
    if (s.evidence.some((e) => ids.has(e.source))) {
      out.add(s.id);
      continue;
    }
    const claim = s.symptom!;
    if (claim.nodes.length === 0) continue;
    for (const p of probes) {
      if (!SYMPTOMS_OF[p.scenario]?.includes(claim.kind)) continue;
      const ends = [p.from.node, p.to.node].filter((n): n is string => n !== undefined);
      if (claim.nodes.every((n) => ends.includes(n))) {
        out.add(s.id);
        break;
      }
    }
  }
  return [...out].sort();
}

function findingOf(f: TracedFault, explains: string[]): Finding {
  const { hop, cause } = f;
  const node = hop.node ?? 'cluster';
  const subject = hop.node
    ? ({ kind: 'Node', name: hop.node } as const)
    : ({ kind: 'Cluster', name: 'cluster' } as const);
  const evidence: Evidence[] = [...ruleEvidence(hop), ...hop.evidence];
  for (const p of f.probes.slice(0, MAX_TRACE_EVIDENCE))
    evidence.push({ source: probeSource(p), observed: describeProbe(p) });
  if (f.probes.length > MAX_TRACE_EVIDENCE)
    evidence.push({
      source: 'probes/results.json',
      observed: `${f.probes.length} failed probes in all die at this hop`,
    });
  const reason = hop.reason ?? hop.summary;
  const finding = causeFinding(
    { id: TRACE_RULE_ID, layer: cause.layer },
    {
      subject,
      severity: 'error',
      detail: `${cause.category}/${shortHash(cause.key)}`,
      summary: `${reason} (${f.probes.length} failed probe${f.probes.length === 1 ? '' : 's'} die here)`,
      evidence,
      nextCommands: [
        `netdoctor trace <bundle> --from ${f.probes[0]?.from.ip ?? '?'} --to ${f.probes[0]?.to.ip ?? '?'}`,
        ...(cause.category === 'node.firewall-drops-traffic'
          ? [`iptables-save -t ${hop.kind === 'filter' ? hop.table : 'filter'}   # on ${node}`]
          : []),
      ],
    },
    {
      category: cause.category,
      confidence: cause.confidence,
      remediation: cause.remediation,
      basis: 'trace',
      explains,
    },
  );
  finding.traces = f.traces;
  return finding;
}

/** A firewall hop's rule by identity, first: what a repair deletes and a person greps for. */
function ruleEvidence(hop: TraceHop): Evidence[] {
  if (hop.kind !== 'filter' || !hop.rule || !hop.backend) return [];
  const m = /^-A (\S+) (.+)$/.exec(hop.rule);
  if (!m) return [];
  const backend = hop.backend === 'iptables-legacy' ? 'legacy' : 'nft';
  return [
    {
      source: hop.evidence[0]?.source ?? `nodes/${hop.node ?? ''}`,
      observed: formatFirewallRule({ backend, table: hop.table, chain: m[1]!, spec: m[2]! }),
      expected: 'no rule that drops pod traffic',
    },
  ];
}

/** A short stable tag for a cause key, so finding ids stay readable and unique. */
function shortHash(s: string): string {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return (h >>> 0).toString(16).padStart(8, '0');
}
