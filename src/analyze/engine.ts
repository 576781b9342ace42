import { nodeItemPath } from '../collect/bundle/item-state.ts';
import type { NodeDatapath } from '../core/datapath-types.ts';
import type { Finding, Report, RuleOutcome, Snapshot } from '../core/model.ts';
import { LAYERS } from '../core/model.ts';
import { correlate } from './correlate.ts';
import { coverageOf, type NodeSeen } from './coverage.ts';
import { severityRank } from './finding.ts';
import { nodeItemState, notCollectedText } from './item-lookup.ts';
import { latencyMatrix } from './latency.ts';
import { patternScore } from './pattern.ts';
import { policyMatrixFor } from './policy-matrix.ts';
import { RouteMatrixBuilder } from './route-matrix.ts';
import { isNodeSkip, type Rule, type RuleContext } from './rule.ts';
import { missingClusterInputs, missingNodeInput } from './rule-needs.ts';
import { RULES } from './rules/index.ts';
import { buildIndex } from './snapshot-index.ts';
import { nodesToTrace, TRACE_RULE_ID, traceableFailures, traceFailedProbes } from './trace-causes.ts';
import { unexplainedSymptoms, verdictOf } from './verdict.ts';

/** The node parts without which a node does not count as collected. */
const CORE_NODE_PARTS = ['links', 'routes'] as const;

function coreMissing(s: Snapshot, dp: NodeDatapath): string | undefined {
  for (const key of CORE_NODE_PARTS) {
    const st = nodeItemState(s, dp, key);
    if (st.state !== 'collected') return notCollectedText(nodeItemPath(dp.name, key), st);
  }
  return undefined;
}

export interface AnalyzeOptions {
  /** The rules to run; every registered rule by default. */
  rules?: Rule[];
  /** The report's generation time; the current time by default. */
  now?: Date;
}

function errorText(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

/** Most severe first, then lowest layer, then id, so reports are stable. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    severityRank(a.severity) - severityRank(b.severity) ||
    LAYERS.indexOf(a.layer) - LAYERS.indexOf(b.layer) ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}

/** One rule's progress through the phases of one analysis. */
interface RuleRun {
  rule: Rule;
  /** Set once the rule is skipped or has thrown; it then runs no further phase. */
  done: RuleOutcome | undefined;
  clusterFindings: Finding[];
  /** Node-phase findings with the node they came from, put in node order at the end. */
  nodeFindings: { node: string; findings: Finding[] }[];
  finishFindings: Finding[];
  nodesRan: number;
  /** Node skip reason -> how many nodes. */
  nodeSkips: Map<string, number>;
  /** Node parts whose not being collected skipped a node (by file name). */
  notCollected: Set<string>;
}

/** "skipped on 3 of 500 nodes: iptables not collected; on 1: ..." */
function skipText(skips: Map<string, number>, nodes: number, all: boolean): string {
  const parts = [...skips].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  return parts
    .map(([reason, n], i) => {
      const where = all && parts.length === 1 ? `all ${n} nodes` : `${n} of ${nodes} nodes`;
      return `${i === 0 ? 'skipped on ' : ''}${where}: ${reason}`;
    })
    .join('; ');
}

/**
 * One analysis, fed one node at a time: `new Analysis(base)`, `node(dp)` for every collected
 * node, then `report()`. The in-memory {@link analyze} and the streaming {@link analyzeStream}
 * both drive this class, so the engine exists once. `base.nodes` is never read.
 */
class Analysis {
  readonly #base: Snapshot;
  readonly #ctx: RuleContext;
  readonly #runs: RuleRun[];
  readonly #matrix: RouteMatrixBuilder | undefined;
  readonly #now: Date;
  #nodesSeen = 0;
  readonly #seen: NodeSeen[] = [];
  /** Nodes whose datapath the tracing of failed probes needs, and those datapaths as they pass. */
  readonly #traceNodes: Set<string>;
  readonly #kept: Record<string, NodeDatapath> = {};

  constructor(base: Snapshot, collectedNodes: readonly string[], opts: AnalyzeOptions) {
    this.#base = base;
    const clusterOnly: Snapshot = { ...base, nodes: {} };
    this.#ctx = { snapshot: clusterOnly, index: buildIndex(clusterOnly), collectedNodes };
    this.#now = opts.now ?? new Date();
    this.#traceNodes = opts.rules ? new Set() : nodesToTrace(base);
    this.#matrix = this.#ctx.index.nodeNames.length > 0 ? new RouteMatrixBuilder(this.#ctx.index) : undefined;
    this.#runs = (opts.rules ?? RULES).map((rule) => {
      const r: RuleRun = {
        rule,
        done: undefined,
        clusterFindings: [],
        nodeFindings: [],
        finishFindings: [],
        nodesRan: 0,
        nodeSkips: new Map(),
        notCollected: new Set(),
      };
      try {
        const missing = missingClusterInputs(rule, this.#ctx.snapshot, collectedNodes);
        const applies = rule.appliesTo?.(this.#ctx) ?? { applies: true };
        if (missing)
          r.done = { rule: rule.id, status: 'skipped', reason: missing.reason, notCollected: missing.items };
        else if (!applies.applies) r.done = { rule: rule.id, status: 'skipped', reason: applies.reason };
        else if (rule.run) r.clusterFindings = rule.run(this.#ctx);
      } catch (e) {
        r.done = { rule: rule.id, status: 'error', error: errorText(e) };
      }
      return r;
    });
  }

  /** Runs every rule's node phase on one node and adds its row to the route matrix. */
  node(dp: NodeDatapath): void {
    this.#nodesSeen++;
    this.#seen.push({ name: dp.name, missing: coreMissing(this.#ctx.snapshot, dp) });
    for (const r of this.#runs) {
      if (r.done || !r.rule.runNode) continue;
      const missing = missingNodeInput(r.rule, this.#ctx.snapshot, dp);
      if (missing) {
        r.nodeSkips.set(missing.reason, (r.nodeSkips.get(missing.reason) ?? 0) + 1);
        r.notCollected.add(missing.item);
        continue;
      }
      try {
        const res = r.rule.runNode(this.#ctx, dp);
        if (isNodeSkip(res)) r.nodeSkips.set(res.skipped, (r.nodeSkips.get(res.skipped) ?? 0) + 1);
        else {
          r.nodesRan++;
          if (res.length > 0) r.nodeFindings.push({ node: dp.name, findings: res });
        }
      } catch (e) {
        r.done = { rule: r.rule.id, status: 'error', error: `on node ${dp.name}: ${errorText(e)}` };
      }
    }
    this.#matrix?.addNode(dp.name, dp.routes);
    if (this.#traceNodes.has(dp.name)) this.#kept[dp.name] = dp;
  }

  /**
   * Ends the analysis for every rule: runs `finish`, decides each outcome and lists each
   * rule's findings in a stable order (ids made unique across rules, in rule order).
   */
  results(): { outcome: RuleOutcome; findings: Finding[] }[] {
    const ctx = this.#ctx;
    const rank = new Map<string, number>();
    for (const [i, n] of ctx.index.nodeNames.entries()) rank.set(n, i);
    const byNode = (a: { node: string }, b: { node: string }): number => {
      const ra = rank.get(a.node) ?? Number.MAX_SAFE_INTEGER;
      const rb = rank.get(b.node) ?? Number.MAX_SAFE_INTEGER;
      return ra - rb || (a.node < b.node ? -1 : a.node > b.node ? 1 : 0);
    };
    const ids = new Set<string>();
    return this.#runs.map((r) => {
      if (!r.done && r.rule.finish) {
        try {
          r.finishFindings = r.rule.finish(ctx);
        } catch (e) {
          r.done = { rule: r.rule.id, status: 'error', error: errorText(e) };
        }
      }
      if (r.done) return { outcome: r.done, findings: [] };
      if (r.nodeFindings.length > 1) r.nodeFindings.sort(byNode);
      const findings: Finding[] = [];
      const notable: string[] = [];
      const add = (f: Finding): void => {
        let id = f.id;
        for (let n = 2; ids.has(id); n++) id = `${f.id}#${n}`;
        ids.add(id);
        findings.push(id === f.id ? f : { ...f, id });
        if (f.severity !== 'info') notable.push(id);
      };
      for (const f of r.clusterFindings) add(f);
      for (const n of r.nodeFindings) for (const f of n.findings) add(f);
      for (const f of r.finishFindings) add(f);
      const id = r.rule.id;
      const skipped = [...r.nodeSkips.values()].reduce((a, b) => a + b, 0);
      if (r.rule.runNode && !r.rule.run && r.nodesRan === 0 && skipped > 0 && findings.length === 0) {
        const reason = skipText(r.nodeSkips, this.#nodesSeen, true);
        const outcome: RuleOutcome = { rule: id, status: 'skipped', reason };
        if (r.notCollected.size > 0) outcome.notCollected = [...r.notCollected].sort();
        return { outcome, findings: [] };
      }
      const outcome: RuleOutcome =
        notable.length > 0 ? { rule: id, status: 'fail', findings: notable } : { rule: id, status: 'pass' };
      if (skipped > 0) outcome.note = skipText(r.nodeSkips, this.#nodesSeen, false);
      if (r.notCollected.size > 0) outcome.notCollected = [...r.notCollected].sort();
      return { outcome, findings };
    });
  }

  report(): Report {
    const outcomes: RuleOutcome[] = [];
    const findings: Finding[] = [];
    for (const r of this.results()) {
      outcomes.push(r.outcome);
      for (const f of r.findings) findings.push(f);
    }
    if (this.#traceNodes.size > 0 && traceableFailures(this.#base).length > 0) {
      // After the rules: a traced cause says which of their symptoms end at it.
      try {
        const traced = traceFailedProbes({ ...this.#base, nodes: this.#kept }, findings);
        for (const f of traced) findings.push(f);
        outcomes.push(
          traced.length > 0
            ? { rule: TRACE_RULE_ID, status: 'fail', findings: traced.map((f) => f.id) }
            : { rule: TRACE_RULE_ID, status: 'pass' },
        );
      } catch (e) {
        outcomes.push({ rule: TRACE_RULE_ID, status: 'error', error: errorText(e) });
      }
    }
    findings.sort(compareFindings);
    const rootCauses = correlate(findings);
    const pattern = patternScore(findings);
    const base = this.#base;
    const coverage = coverageOf(base, this.#ctx.index.nodeNames, this.#seen, outcomes);
    const report: Report = {
      schemaVersion: 1,
      generatedAt: this.#now.toISOString(),
      verdict: verdictOf(rootCauses, findings, pattern, coverage),
      pattern,
      rootCauses,
      findings,
      probes: base.probes ?? {},
      gaps: base.gaps,
      rules: outcomes,
      coverage,
      unexplained: unexplainedSymptoms(rootCauses, findings),
      meta: base.meta,
    };
    if (this.#matrix) report.routeMatrix = this.#matrix.finish();
    const latency = latencyMatrix(base.probes?.results ?? []);
    if (latency) report.latencyMatrix = latency;
    const policies = policyMatrixFor(this.#ctx.snapshot);
    if (policies) report.policyMatrix = policies;
    return report;
  }
}

/**
 * Analyzes a snapshot held in memory: builds the index once, runs every applicable rule,
 * correlates causes with symptoms, scores the seed-001 pattern, draws the route matrix and
 * decides the verdict. Pure: the same snapshot and options give the same report, and the same
 * report as {@link analyzeStream} over the same nodes.
 */
export function analyze(snapshot: Snapshot, opts: AnalyzeOptions = {}): Report {
  const a = new Analysis(snapshot, Object.keys(snapshot.nodes), opts);
  for (const dp of Object.values(snapshot.nodes)) a.node(dp);
  return a.report();
}

/**
 * Streaming analysis: `base` holds the cluster objects, probes, gaps and meta (its `nodes` are
 * ignored) and `nodes` yields each collected node's datapath once, so only the node in hand
 * (and whatever the reader keeps in flight) is in memory. Gaps the reader finds while streaming
 * may be appended to `base.gaps` before the iteration ends; the report takes them.
 */
export async function analyzeStream(
  base: Snapshot,
  nodes: AsyncIterable<NodeDatapath> | Iterable<NodeDatapath>,
  collectedNodes: readonly string[],
  opts: AnalyzeOptions = {},
): Promise<Report> {
  const a = new Analysis(base, collectedNodes, opts);
  for await (const dp of nodes) a.node(dp);
  return a.report();
}

/**
 * Runs one rule through all its phases on an in-memory snapshot; a skip or a throw becomes its
 * outcome, never an exception. Findings come in the rule's own order (cluster phase, nodes in
 * cluster order, finish), not the report's.
 */
export function runRule(rule: Rule, snapshot: Snapshot): { outcome: RuleOutcome; findings: Finding[] } {
  const a = new Analysis(snapshot, Object.keys(snapshot.nodes), { rules: [rule], now: new Date(0) });
  for (const dp of Object.values(snapshot.nodes)) a.node(dp);
  return a.results()[0] as { outcome: RuleOutcome; findings: Finding[] };
}
