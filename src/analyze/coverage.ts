/**
 * How much of the cluster an analysis actually saw: nodes collected of all nodes, probes that
 * gave an answer of those planned, rules evaluated of those that apply. A verdict of healthy
 * rests on this: a run that could not look says so ("inconclusive") instead of "healthy".
 */
import type { Coverage, ProbeCoverage, RuleOutcome, Snapshot } from '../core/model.ts';
import { clusterItemState, notCollectedText, probesItemState } from './item-lookup.ts';

/** At least this share of the planned probes must have run (passed or failed) for healthy. */
export const MIN_PROBES_RAN = 0.9;
/** The thresholds, as the report explains them. */
export const THRESHOLDS_TEXT =
  `healthy needs every node's datapath collected, at least ${pct(MIN_PROBES_RAN)} of the probes meant to run ` +
  `actually run (passed or failed, not errored; probes skipped on purpose, such as external ones with no target configured, are not counted), and every applicable rule evaluated on all it needs; ` +
  'a rule skipped, or run on only some nodes, because its inputs were not collected, or a rule that failed to run, makes the verdict inconclusive; a rule that does not apply to this cluster does not';

function pct(x: number): string {
  return `${Math.round(x * 100)}%`;
}

/** What the engine saw of each node while it streamed past. */
export interface NodeSeen {
  name: string;
  /** Why the node does not count as collected; undefined when it does. */
  missing: string | undefined;
}

/** Probe coverage from the probe results and their recorded state. */
export function probeCoverage(s: Snapshot): ProbeCoverage {
  const results = s.probes?.results ?? [];
  let ran = 0;
  let errored = 0;
  let skipped = 0;
  for (const r of results) {
    if (r.outcome.status === 'pass' || r.outcome.status === 'fail') ran++;
    else if (r.outcome.status === 'error') errored++;
    else skipped++;
  }
  const out: ProbeCoverage = { planned: results.length, ran, errored, skipped };
  if (s.probes === undefined) {
    const st = probesItemState(s);
    out.reason =
      st.state === 'not-collected' && st.reason !== 'unknown'
        ? notCollectedText('probes/results.json', st)
        : 'the probes did not run';
  }
  return out;
}

/**
 * The coverage of one analysis. `seen` lists the nodes whose datapath was read; the cluster's
 * node list (or, when that was not collected, the bundle's) gives the total.
 */
export function coverageOf(
  s: Snapshot,
  clusterNodes: readonly string[],
  seen: readonly NodeSeen[],
  rules: readonly RuleOutcome[],
): Coverage {
  const seenByName = new Map(seen.map((n) => [n.name, n]));
  const nodesListed = clusterItemState(s, 'nodes').state === 'collected';
  const names = [...clusterNodes];
  for (const n of seen) if (!names.includes(n.name)) names.push(n.name);
  const notCollected: { node: string; reason: string }[] = [];
  for (const name of names) {
    const n = seenByName.get(name);
    if (n === undefined) notCollected.push({ node: name, reason: nodeReason(s, name) });
    else if (n.missing !== undefined) notCollected.push({ node: name, reason: n.missing });
  }
  const probes = probeCoverage(s);

  let applicable = 0;
  let evaluated = 0;
  const skipped: Coverage['rules']['skipped'] = [];
  const notApplicable: Coverage['rules']['notApplicable'] = [];
  const partial: Coverage['rules']['partial'] = [];
  const erroredRules: string[] = [];
  for (const o of rules) {
    if (o.status === 'skipped' && o.notCollected === undefined) {
      notApplicable.push({ rule: o.rule, reason: o.reason });
      continue;
    }
    applicable++;
    if (o.status === 'skipped')
      skipped.push({ rule: o.rule, reason: o.reason, notCollected: o.notCollected ?? [] });
    else if (o.status === 'error') erroredRules.push(o.rule);
    else {
      evaluated++;
      // A pass that could not look everywhere is no evidence for the nodes it did not see.
      if (o.notCollected !== undefined && o.notCollected.length > 0)
        partial.push({
          rule: o.rule,
          reason: o.note ?? 'inputs not collected',
          notCollected: o.notCollected,
        });
    }
  }

  const shortfalls: string[] = [];
  if (!nodesListed) shortfalls.push("the cluster's node list was not collected, so the total is unknown");
  if (notCollected.length > 0)
    shortfalls.push(`${notCollected.length} of ${names.length} node(s) not collected`);
  const meant = probes.planned - probes.skipped;
  if (probes.planned === 0) shortfalls.push(probes.reason ?? 'no probe was planned');
  else if (meant === 0 || probes.ran / meant < MIN_PROBES_RAN)
    shortfalls.push(
      `only ${probes.ran} of ${probes.planned} probes ran (${probes.errored} errored, ${probes.skipped} skipped)`,
    );
  if (skipped.length > 0)
    shortfalls.push(
      `${skipped.length} of ${applicable} applicable rule(s) skipped because their inputs were not collected: ${names3(skipped)}`,
    );
  if (partial.length > 0)
    shortfalls.push(
      `${partial.length} rule(s) checked only some nodes, their inputs not collected on the others: ${names3(partial)}`,
    );
  if (erroredRules.length > 0)
    shortfalls.push(
      `${erroredRules.length} rule(s) failed to run: ${names3(erroredRules.map((rule) => ({ rule })))}`,
    );

  return {
    nodes: { total: names.length, collected: names.length - notCollected.length, notCollected },
    probes,
    rules: {
      total: rules.length,
      applicable,
      evaluated,
      errored: erroredRules.length,
      skipped,
      partial,
      notApplicable,
    },
    sufficient: shortfalls.length === 0,
    shortfalls,
    thresholds: THRESHOLDS_TEXT,
  };
}

/** The first rules of a list by id, then how many more: a shortfall stays one readable line. */
function names3(list: readonly { rule: string }[]): string {
  const shown = list.slice(0, 3).map((x) => x.rule);
  return list.length > 3 ? `${shown.join(', ')} and ${list.length - 3} more` : shown.join(', ');
}

/** Why a node has no datapath at all: its gap, when one names it. */
function nodeReason(s: Snapshot, node: string): string {
  const g =
    s.gaps.find((x) => x.node === node && /^node(\/[a-z]+)?$/.test(x.collector)) ??
    s.gaps.find((x) => x.node === node);
  return g ? `${g.reason}${g.detail ? `: ${g.detail}` : ''}` : 'no datapath in the bundle';
}
