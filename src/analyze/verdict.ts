import type { Finding, Layer, PatternScore, RootCause, Verdict } from '../core/model.ts';

/** Layers whose critical failure takes the whole cluster network down. */
const BREAKING_LAYERS: readonly Layer[] = ['node', 'cni', 'overlay', 'dns'];

/**
 * healthy: no root cause and no finding above info; broken: a critical root cause in the
 * node, CNI, overlay or DNS layer, or the seed-001 pattern confirmed; degraded otherwise.
 */
export function verdictOf(
  rootCauses: readonly RootCause[],
  findings: readonly Finding[],
  pattern: PatternScore,
): Verdict {
  if (rootCauses.length === 0 && findings.every((f) => f.severity === 'info')) return 'healthy';
  if (pattern.match === 'confirmed') return 'broken';
  const byId = new Map(findings.map((f) => [f.id, f]));
  for (const rc of rootCauses) {
    const f = byId.get(rc.finding);
    if (f && f.severity === 'critical' && BREAKING_LAYERS.includes(f.layer)) return 'broken';
  }
  return 'degraded';
}
