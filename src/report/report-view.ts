/**
 * Derived views of a Report that several renderers need: counts, the node-by-node probe
 * matrices, route-matrix lines, next commands. Computing them once here keeps the markdown, text,
 * HTML and JUnit outputs telling the same story (ARCHITECTURE.md principle 11).
 */

import { PATTERN_SIGNALS } from '../analyze/pattern.ts';
import {
  type Finding,
  LAYERS,
  type Layer,
  type Report,
  type RootCause,
  type RouteCell,
  type RouteMatrix,
  type RuleOutcome,
  SEVERITIES,
  type Severity,
  type Subject,
} from '../core/model.ts';
import { PROBE_SCENARIOS, type ProbeResult, type ProbeResults } from '../core/probe-types.ts';

/** The command that shows a repair plan without changing anything (PRODUCT.md). */
export const FIX_DRY_RUN = 'netdoctor fix --dry-run';

/** Seed 001's scale: six signals, 4+ confirmed, 2-3 partial, 0-1 none. */
export const PATTERN_SIGNAL_COUNT = PATTERN_SIGNALS.length;

/**
 * Every signal of the pattern with whether it fired, in the scorer's order, so a reader sees
 * the ones that did not fire too. A fired id the scorer does not know is shown as it is.
 */
export function patternSignals(
  pattern: Report['pattern'],
): { id: string; label: string; present: boolean }[] {
  const known = PATTERN_SIGNALS.map((s) => ({
    id: s.id as string,
    label: s.label as string,
    present: pattern.signals.includes(s.id),
  }));
  const unknown = pattern.signals
    .filter((id) => !known.some((k) => k.id === id))
    .map((id) => ({ id, label: id, present: true }));
  return [...known, ...unknown];
}

/** `Node worker-2`, `Pod kube-system/coredns-abc`. */
export function describeSubject(subject: Subject): string {
  const name = subject.namespace === undefined ? subject.name : `${subject.namespace}/${subject.name}`;
  return `${subject.kind} ${name}`;
}

/** 0.95 -> `95%`. */
export function formatConfidence(confidence: number): string {
  return `${Math.round(confidence * 100)}%`;
}

/** `source: observed (expected: ...)`, one line, for summaries. */
export function evidenceLine(e: { source: string; observed: string; expected?: string }): string {
  const expected = e.expected === undefined ? '' : ` (expected: ${e.expected})`;
  return `${e.source}: ${e.observed}${expected}`;
}

/** The probe results, or none when no probes ran (`probes: {}`). */
export function probeResults(report: Report): ProbeResult[] {
  return isProbeResults(report.probes) ? report.probes.results : [];
}

export function isProbeResults(probes: Report['probes']): probes is ProbeResults {
  return 'results' in probes && Array.isArray((probes as ProbeResults).results);
}

export function findingsById(report: Report): Map<string, Finding> {
  return new Map(report.findings.map((f) => [f.id, f]));
}

/** The findings a root cause explains, in its order; an id with no finding is kept with none. */
export function explainedFindings(report: Report, rc: RootCause): { id: string; finding?: Finding }[] {
  const byId = findingsById(report);
  return rc.explains.map((id) => {
    const finding = byId.get(id);
    return finding === undefined ? { id } : { id, finding };
  });
}

/**
 * What to run next for a root cause: the dry-run plan when a repair exists, then the commands
 * its own finding and the symptoms it explains suggest (own first: they look at the cause).
 */
export function nextCommandsFor(report: Report, rc: RootCause): string[] {
  const byId = findingsById(report);
  const commands: string[] = rc.remediation.length > 0 ? [FIX_DRY_RUN] : [];
  for (const id of [rc.finding, ...rc.explains]) {
    for (const c of byId.get(id)?.nextCommands ?? []) if (!commands.includes(c)) commands.push(c);
  }
  return commands;
}

export type SeverityCounts = Record<Severity, number>;

export function severityCounts(findings: readonly Finding[]): SeverityCounts {
  const counts: SeverityCounts = { critical: 0, error: 0, warning: 0, info: 0 };
  for (const f of findings) counts[f.severity] += 1;
  return counts;
}

/** `2 critical, 3 error` (zero counts left out); empty string when there are none. */
export function formatSeverityCounts(counts: SeverityCounts): string {
  return SEVERITIES.filter((s) => counts[s] > 0)
    .map((s) => `${counts[s]} ${s}`)
    .join(', ');
}

/** Findings grouped by layer, bottom layer first, empty layers left out; severity order within. */
export function findingsByLayer(findings: readonly Finding[]): { layer: Layer; findings: Finding[] }[] {
  const rank = (s: Severity): number => SEVERITIES.indexOf(s);
  return LAYERS.map((layer) => ({
    layer,
    findings: findings.filter((f) => f.layer === layer).sort((a, b) => rank(a.severity) - rank(b.severity)),
  })).filter((g) => g.findings.length > 0);
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

// ---------------------------------------------------------------------------------------------
// Rules

/**
 * The detail column of the rule-outcome tables: nothing for a pass, the finding count, the skip
 * reason or the error. Prose goes through `text` and the error through `code`, the renderer's
 * own escaping, because reasons and errors can carry cluster data.
 */
export function outcomeDetail(
  r: RuleOutcome,
  text: (s: string) => string,
  code: (s: string) => string,
): string {
  switch (r.status) {
    case 'pass':
      return '';
    case 'fail':
      return text(plural(r.findings.length, 'finding'));
    case 'skipped':
      return text(r.reason);
    case 'error':
      return code(r.error);
  }
}

export interface RuleCounts {
  total: number;
  pass: number;
  fail: number;
  skipped: number;
  error: number;
}

export function ruleCounts(report: Report): RuleCounts {
  const c: RuleCounts = { total: report.rules.length, pass: 0, fail: 0, skipped: 0, error: 0 };
  for (const r of report.rules) c[r.status] += 1;
  return c;
}

// ---------------------------------------------------------------------------------------------
// Probes

/**
 * A probe's state against its expectation (principle 4: expectations are data). A flow a policy
 * should block that fails is a pass; one that gets through is a fail.
 */
export type ProbeState = 'pass' | 'fail' | 'skipped' | 'error';

export function probeState(r: ProbeResult): ProbeState {
  const o = r.outcome;
  if (o.status === 'skipped' || o.status === 'error') return o.status;
  return o.status === r.expect ? 'pass' : 'fail';
}

/** Worst first: a cell with one failing probe among passing ones shows as failing. */
const STATE_RANK: Record<ProbeState, number> = { fail: 0, error: 1, skipped: 2, pass: 3 };

export function worstState(states: readonly ProbeState[]): ProbeState {
  let worst: ProbeState = 'pass';
  for (const s of states) if (STATE_RANK[s] < STATE_RANK[worst]) worst = s;
  return worst;
}

export interface ProbeCounts extends Record<ProbeState, number> {
  total: number;
}

export function probeCounts(results: readonly ProbeResult[]): ProbeCounts {
  const c: ProbeCounts = { total: results.length, pass: 0, fail: 0, skipped: 0, error: 0 };
  for (const r of results) c[probeState(r)] += 1;
  return c;
}

/** Short cell text: `✓ 0.4 ms`, `✗ timeout`, `– skipped`, `! error`; `(expected)` when blocking was the point. */
export function probeLabel(r: ProbeResult): string {
  const o = r.outcome;
  switch (o.status) {
    case 'pass':
      if (r.expect === 'fail') return '✗ passed (expected block)';
      return o.rttMs === undefined ? '✓' : `✓ ${formatMs(o.rttMs)}`;
    case 'fail':
      return r.expect === 'fail' ? `✓ blocked (${o.error})` : `✗ ${o.error}`;
    case 'skipped':
      return '– skipped';
    case 'error':
      return '! error';
  }
}

/** The full story of one probe, one line: for tooltips, JUnit messages and summaries. */
export function probeDetail(r: ProbeResult): string {
  const o = r.outcome;
  const proto = r.protocol === undefined ? '' : `${r.protocol} `;
  const size = r.size === undefined ? '' : `, ${r.size} bytes`;
  const head = `${r.id}: ${proto}${endpointText(r.from)} -> ${endpointText(r.to)}${size}`;
  let tail: string;
  switch (o.status) {
    case 'pass':
      tail = `pass${o.rttMs === undefined ? '' : ` in ${formatMs(o.rttMs)}`}${o.detail === undefined ? '' : `: ${o.detail}`}`;
      break;
    case 'fail':
      tail = `fail: ${o.error}${o.detail === undefined ? '' : `: ${o.detail}`}`;
      break;
    case 'skipped':
      tail = `skipped: ${o.reason}`;
      break;
    case 'error':
      tail = `error: ${o.error}`;
      break;
  }
  return `${head} — ${tail} (expected ${r.expect})`;
}

function endpointText(e: ProbeResult['from']): string {
  // `worker-1/netdoctor-probe-worker-1 (10.244.1.21)`, `kubernetes.default (10.96.0.10:53)`.
  const label = e.pod ?? e.name;
  const where = e.node === undefined ? label : label === undefined ? e.node : `${e.node}/${label}`;
  const addr = e.ip === undefined ? undefined : e.port === undefined ? e.ip : `${e.ip}:${e.port}`;
  const query = e.pod !== undefined && e.name !== undefined ? ` ${e.name}` : '';
  if (where === undefined) return addr ?? '?';
  return `${where}${query}${addr === undefined ? '' : ` (${addr})`}`;
}

/** `0.4 ms`, `18 ms`, `31.8 s`. */
export function formatMs(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(1)} s`;
  return ms >= 100 ? `${Math.round(ms)} ms` : `${Number(ms.toFixed(1))} ms`;
}

/** How many non-passing probes a matrix lists in full; the rest are counted (report.json has all). */
export const NOTABLE_PROBE_LIMIT = 25;

/** The probes of a matrix that did not pass, capped, and how many were left out. */
export function notableProbes(m: { results: ProbeResult[] }): { shown: ProbeResult[]; more: number } {
  const all = m.results.filter((r) => probeState(r) !== 'pass');
  return { shown: all.slice(0, NOTABLE_PROBE_LIMIT), more: Math.max(0, all.length - NOTABLE_PROBE_LIMIT) };
}

/** Where a probe went, as a matrix column: the destination node, else the target's name or IP. */
function columnOf(r: ProbeResult): string {
  return r.to.node ?? r.to.name ?? r.to.ip ?? '?';
}
function rowOf(r: ProbeResult): string {
  return r.from.node ?? r.from.pod ?? r.from.ip ?? '?';
}

/** One scenario's node-by-node matrix: rows are source nodes, columns destinations. */
export interface ProbeMatrix {
  scenario: string;
  rows: string[];
  columns: string[];
  /** Results per `row\u0000column`; read with `matrixCell`. */
  cells: Map<string, ProbeResult[]>;
  results: ProbeResult[];
}

export function matrixCell(m: ProbeMatrix, row: string, column: string): ProbeResult[] {
  return m.cells.get(`${row}\u0000${column}`) ?? [];
}

/**
 * The probe matrices, one per scenario in PROBE_SCENARIOS order. Node rows and columns follow
 * the report's node order (route matrix first, then first appearance), so every matrix lines up.
 */
export function probeMatrices(report: Report): ProbeMatrix[] {
  const results = probeResults(report);
  const nodeOrder = reportNodeOrder(report);
  const scenarios = [...new Set(results.map((r) => r.scenario as string))].sort(
    (a, b) => scenarioRank(a) - scenarioRank(b),
  );
  return scenarios.map((scenario) => {
    const own = results.filter((r) => r.scenario === scenario);
    const cells = new Map<string, ProbeResult[]>();
    for (const r of own) {
      const key = `${rowOf(r)}\u0000${columnOf(r)}`;
      const list = cells.get(key);
      if (list === undefined) cells.set(key, [r]);
      else list.push(r);
    }
    return {
      scenario,
      rows: orderBy(unique(own.map(rowOf)), nodeOrder),
      columns: orderBy(unique(own.map(columnOf)), nodeOrder),
      cells,
      results: own,
    };
  });
}

function scenarioRank(s: string): number {
  const i = (PROBE_SCENARIOS as readonly string[]).indexOf(s);
  return i === -1 ? PROBE_SCENARIOS.length : i;
}

/** Every node name the report mentions, route matrix order first, then probe order. */
export function reportNodeOrder(report: Report): string[] {
  const names = (report.routeMatrix?.nodes ?? []).map((n) => n.name);
  for (const r of probeResults(report)) {
    for (const n of [r.from.node, r.to.node]) if (n !== undefined && !names.includes(n)) names.push(n);
  }
  return names;
}

function unique(xs: readonly string[]): string[] {
  return [...new Set(xs)];
}

/** Known nodes in report order first, then everything else in first-appearance order. */
function orderBy(xs: readonly string[], order: readonly string[]): string[] {
  const known = order.filter((n) => xs.includes(n));
  return [...known, ...xs.filter((x) => !order.includes(x))];
}

// ---------------------------------------------------------------------------------------------
// Routes

/**
 * The nodes a route view shows: all of them, or, when the analysis listed only problem cells
 * (large clusters), just the nodes those cells involve.
 */
export function routeDisplayNodes(m: RouteMatrix): RouteMatrix['nodes'] {
  if (m.onlyProblems !== true) return m.nodes;
  const involved = new Set(m.cells.flatMap((c) => [c.from, c.to]));
  return m.nodes.filter((n) => involved.has(n.name));
}

/**
 * A cell of the matrix. When only problems are listed an absent cell is healthy, so it is
 * returned as an implied `ok` (or `local`) without a route; otherwise absent means unknown.
 */
export function routeCell(m: RouteMatrix, from: string, to: string): RouteCell | undefined {
  const cell = m.cells.find((c) => c.from === from && c.to === to);
  if (cell !== undefined || m.onlyProblems !== true) return cell;
  return { from, to, state: from === to ? 'local' : 'ok' };
}

/** The device a route leaves by (`dev flannel.1` -> `flannel.1`). */
export function routeDevice(route: string | undefined): string | undefined {
  return route === undefined ? undefined : /\bdev\s+(\S+)/.exec(route)?.[1];
}

/** Short grid text for a route cell: `flannel.1 ✓`, `NO ROUTE ✗`, `cni0 (local)`. */
export function routeShort(cell: RouteCell | undefined): string {
  if (cell === undefined) return '?';
  const dev = routeDevice(cell.route);
  switch (cell.state) {
    case 'local':
      return `${dev ?? 'local'} (local)`;
    case 'ok':
      return `${dev ?? 'route'} ✓`;
    case 'missing':
      return 'NO ROUTE ✗';
    case 'wrong':
      return `${dev ?? 'route'} WRONG ✗`;
    case 'unknown':
      return 'unknown ?';
  }
}

/**
 * Seed 004's per-node listing: `=== worker-2 (10.244.2.0/24) === ← PROBLEM` then one line per
 * pod subnet, `10.244.4.0/24  -> flannel.1 ✓` or `10.244.1.0/24  NO ROUTE ✗`. When the analysis
 * listed only problems, only those lines appear.
 */
export function routeListing(m: RouteMatrix): string[] {
  const lines: string[] = [];
  const byName = new Map(m.nodes.map((n) => [n.name, n]));
  const width = Math.max(0, ...m.nodes.map((n) => (n.podCIDR ?? n.name).length));
  for (const node of m.nodes) {
    const own = m.cells.filter((c) => c.from === node.name);
    if (m.onlyProblems === true && own.length === 0) continue;
    const bad = own.some((c) => c.state === 'missing' || c.state === 'wrong');
    const cidr = node.podCIDR === undefined ? '' : ` (${node.podCIDR})`;
    if (lines.length > 0) lines.push('');
    lines.push(`=== ${node.name}${cidr} ===${bad ? ' ← PROBLEM' : ''}`);
    const peers = m.onlyProblems === true ? own.map((c) => byName.get(c.to) ?? { name: c.to }) : m.nodes;
    for (const peer of peers) {
      const cell = m.cells.find((c) => c.from === node.name && c.to === peer.name);
      if (cell === undefined) continue;
      const subnet = (peer.podCIDR ?? peer.name).padEnd(width);
      lines.push(`${subnet}  ${routeArrow(cell)}`);
    }
  }
  return lines;
}

function routeArrow(cell: RouteCell): string {
  const dev = routeDevice(cell.route);
  switch (cell.state) {
    case 'local':
      return `-> ${dev ?? 'local'} (local)`;
    case 'ok':
      return `-> ${dev ?? cell.route ?? 'route'} ✓`;
    case 'missing':
      return 'NO ROUTE ✗';
    case 'wrong':
      return `-> ${dev ?? '?'} ✗ wrong: ${cell.route ?? 'unknown route'}`;
    case 'unknown':
      return '? (route table not collected)';
  }
}

/** Cells by state, as listed (with `onlyProblems`, healthy cells are not counted: they are not listed). */
export function routeCounts(m: RouteMatrix): Record<RouteCell['state'], number> {
  const c: Record<RouteCell['state'], number> = { local: 0, ok: 0, missing: 0, wrong: 0, unknown: 0 };
  for (const cell of m.cells) c[cell.state] += 1;
  return c;
}

/** `talos-home (context admin@talos-home, Kubernetes v1.34.0)`, or undefined when nothing is known. */
export function clusterLine(report: Report): string | undefined {
  const c = report.meta.cluster;
  if (c === undefined) return undefined;
  const extras = [
    c.context === undefined ? undefined : `context ${c.context}`,
    c.kubernetesVersion === undefined ? undefined : `Kubernetes ${c.kubernetesVersion}`,
  ].filter((x): x is string => x !== undefined);
  const name = c.name ?? c.context ?? 'cluster';
  return extras.length === 0 ? name : `${name} (${extras.join(', ')})`;
}

/** "3/3 nodes collected · 63/63 probes ran · 36/38 applicable rules evaluated" */
export function coverageSummary(c: Report['coverage']): string {
  const probes =
    c.probes.planned === 0
      ? (c.probes.reason ?? 'no probes')
      : `${c.probes.ran}/${c.probes.planned} probes ran`;
  const partial = c.rules.partial.length > 0 ? ` (${c.rules.partial.length} on only some nodes)` : '';
  return `${c.nodes.collected}/${c.nodes.total} nodes collected · ${probes} · ${c.rules.evaluated}/${c.rules.applicable} applicable rules evaluated${partial}`;
}

/** One line per thing that kept coverage short of what a healthy verdict needs, and why. */
export function coverageDetails(c: Report['coverage']): string[] {
  const out = [...c.shortfalls];
  for (const n of c.nodes.notCollected) out.push(`node ${n.node}: ${n.reason}`);
  for (const r of c.rules.skipped) out.push(`rule ${r.rule}: ${r.reason}`);
  for (const r of c.rules.partial) out.push(`rule ${r.rule}: ${r.reason}`);
  return out;
}
