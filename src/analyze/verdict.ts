import type {
  Coverage,
  Finding,
  Layer,
  PatternScore,
  RootCause,
  UnexplainedSymptom,
  Verdict,
} from '../core/model.ts';

/** Layers whose critical failure takes the whole cluster network down. */
const BREAKING_LAYERS: readonly Layer[] = ['node', 'cni', 'overlay', 'dns'];

/** Symptom findings (above info) that no root cause lists in its `explains`. */
export function unexplainedSymptoms(
  rootCauses: readonly RootCause[],
  findings: readonly Finding[],
): UnexplainedSymptom[] {
  const explained = new Set<string>();
  for (const rc of rootCauses) {
    explained.add(rc.finding);
    for (const id of rc.explains) explained.add(id);
  }
  return findings
    .filter(
      (f) =>
        f.symptom !== undefined && f.cause === undefined && f.severity !== 'info' && !explained.has(f.id),
    )
    .map((f) => ({ finding: f.id, summary: f.summary }));
}

/**
 * broken: a critical root cause in the node, CNI, overlay or DNS layer, or the seed-001 pattern
 * confirmed; degraded: any other root cause, a symptom no root cause explains, or any other
 * finding above info; inconclusive: none of that, but coverage falls short of its thresholds
 * (what could not be seen is never called healthy); healthy otherwise.
 */
export function verdictOf(
  rootCauses: readonly RootCause[],
  findings: readonly Finding[],
  pattern: PatternScore,
  coverage: Pick<Coverage, 'sufficient'>,
): Verdict {
  if (rootCauses.length > 0 || pattern.match === 'confirmed') {
    if (pattern.match === 'confirmed') return 'broken';
    const byId = new Map(findings.map((f) => [f.id, f]));
    for (const rc of rootCauses) {
      const f = byId.get(rc.finding);
      if (f && f.severity === 'critical' && BREAKING_LAYERS.includes(f.layer)) return 'broken';
    }
    return 'degraded';
  }
  if (unexplainedSymptoms(rootCauses, findings).length > 0) return 'degraded';
  if (!coverage.sufficient) return 'inconclusive';
  return findings.every((f) => f.severity === 'info') ? 'healthy' : 'degraded';
}
