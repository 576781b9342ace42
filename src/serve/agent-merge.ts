/**
 * The served report with the agents' word added: pure, so the controller can recompute it
 * whenever a summary arrives or an agent falls silent, without a new analysis.
 *
 * - A node whose agent sent nothing for `staleAfterMs` (or never) is not collected: a gap, a
 *   coverage shortfall, and at best an inconclusive verdict. A silent agent never reads healthy.
 * - A summary newer than the analysis replaces what the analysis said about that node through
 *   the rules the agent judged it with: a fault the agent sees now is reported before the next
 *   analysis, and one the agent no longer sees is gone. Root causes, pattern and verdict are
 *   then recomputed from the findings by the same correlation as the analysis.
 */
import type { AgentSummary } from '../agent/agent-summary.ts';
import { correlate } from '../analyze/correlate.ts';
import { compareFindings } from '../analyze/engine.ts';
import { patternScore } from '../analyze/pattern.ts';
import { unexplainedSymptoms, verdictOf } from '../analyze/verdict.ts';
import type { Finding, Gap, Report } from '../core/model.ts';
import type { AgentRecord } from './agent-roster.ts';
import { reportNodes } from './report-nodes.ts';

export interface AgentMergeOptions {
  /** Epoch ms. */
  now: number;
  staleAfterMs: number;
}

/** A node's agent as the merge judged it: reporting, or silent since when (undefined: never heard). */
export type AgentState =
  | { node: string; state: 'reporting'; ageMs: number }
  | { node: string; state: 'silent'; ageMs?: number };

export function agentStates(
  report: Report,
  records: readonly AgentRecord[],
  o: AgentMergeOptions,
): AgentState[] {
  const byNode = new Map(records.map((r) => [r.summary.node, r]));
  const nodes = reportNodes(report);
  for (const n of byNode.keys()) nodes.add(n);
  return [...nodes].sort().map((node): AgentState => {
    const r = byNode.get(node);
    if (r === undefined) return { node, state: 'silent' };
    const ageMs = Math.max(0, o.now - r.receivedAt);
    return { node, state: ageMs <= o.staleAfterMs ? 'reporting' : 'silent', ageMs };
  });
}

function silentText(s: AgentState): string {
  return s.ageMs === undefined
    ? "no summary from netdoctor's agent on this node yet"
    : `no summary from netdoctor's agent on this node for ${Math.round(s.ageMs / 1000)} s`;
}

/** A cause as category and subject node: the same cause whichever rule or trace claimed it. */
function causeKey(f: Finding): string {
  return `${f.cause?.category ?? ''}\u0000${f.subject.kind === 'Node' ? f.subject.name : ''}`;
}

export function mergeAgents(report: Report, records: readonly AgentRecord[], o: AgentMergeOptions): Report {
  const states = agentStates(report, records, o);
  const silent = states.filter((s) => s.state === 'silent');
  const reportAt = Date.parse(report.generatedAt);
  const reporting = new Set(states.filter((s) => s.state === 'reporting').map((s) => s.node));
  const newer = new Map<string, AgentSummary>();
  for (const r of records)
    if (reporting.has(r.summary.node) && Date.parse(r.summary.at) > reportAt)
      newer.set(r.summary.node, r.summary);
  if (silent.length === 0 && newer.size === 0) return report;

  let findings = report.findings;
  if (newer.size > 0) {
    const judged = new Map([...newer].map(([n, s]) => [n, new Set(s.judged)]));
    const replaced = (f: Finding): boolean =>
      f.subject.kind === 'Node' && judged.get(f.subject.name)?.has(f.rule) === true;
    const fromAgents = [...newer.values()].flatMap((s) => s.findings);
    const ids = new Set(fromAgents.map((f) => f.id));
    // A cause the node's current state no longer shows (its rule judged the node and found it
    // gone) also takes with it what was traced to it: a trace read the node as it was then.
    const withdrawn = new Set(
      report.findings
        .filter((f) => replaced(f) && f.cause !== undefined)
        .map((f) => causeKey(f))
        .filter((k) => !fromAgents.some((a) => causeKey(a) === k)),
    );
    findings = [
      ...report.findings.filter(
        (f) => !replaced(f) && !ids.has(f.id) && !(f.cause !== undefined && withdrawn.has(causeKey(f))),
      ),
      ...fromAgents,
    ].sort(compareFindings);
  }

  const gaps: Gap[] = [
    ...report.gaps,
    ...silent.map((s) => ({
      collector: 'agent',
      reason: 'not-collected' as const,
      node: s.node,
      detail: silentText(s),
    })),
  ];
  const listed = new Set(report.coverage.nodes.notCollected.map((n) => n.node));
  const coverage = {
    ...report.coverage,
    nodes: {
      ...report.coverage.nodes,
      notCollected: [
        ...report.coverage.nodes.notCollected,
        ...silent.filter((s) => !listed.has(s.node)).map((s) => ({ node: s.node, reason: silentText(s) })),
      ],
    },
    ...(silent.length > 0
      ? {
          sufficient: false,
          shortfalls: [
            ...report.coverage.shortfalls,
            `${silent.length} node(s) without a recent summary from their agent: ${silent
              .slice(0, 3)
              .map((s) => s.node)
              .join(', ')}${silent.length > 3 ? ', ...' : ''}`,
          ],
        }
      : {}),
  };
  const rootCauses = findings === report.findings ? report.rootCauses : correlate(findings);
  const pattern = findings === report.findings ? report.pattern : patternScore(findings);
  return {
    ...report,
    verdict: verdictOf(rootCauses, findings, pattern, coverage),
    pattern,
    rootCauses,
    findings,
    gaps,
    coverage,
    unexplained: unexplainedSymptoms(rootCauses, findings),
  };
}
