/**
 * The shape shared by the per-source-node symptom rules (service, NodePort, external): failures
 * against expectation become one finding per source node, or one cluster-wide finding when
 * every node that ran the probes failed.
 */
import type { Finding, Layer, SymptomKind } from '../../../core/model.ts';
import type { ProbeResult, ProbeScenario } from '../../../core/probe-types.ts';
import type { Rule } from '../../rule.ts';
import { makeFinding } from './datapath.ts';
import {
  bySourceNode,
  describeProbe,
  failedProbe,
  involvedNodes,
  needsProbes,
  probeSource,
  probeView,
} from './probes.ts';

export interface ProbeSymptomSpec {
  id: string;
  layer: Layer;
  title: string;
  why: string;
  scenarios: readonly ProbeScenario[];
  kind: SymptomKind;
  /** Noun for summaries: `ClusterIP Service`, `NodePort`, `external`. */
  what: string;
  /** Only these results count (e.g. TLS probes whose failure is the network's, not the certificate's). */
  only?: (r: ProbeResult) => boolean;
  /** Appended to a finding about some nodes while others pass: where to look on those nodes. */
  someNodesHint?: string;
}

/** Builds a symptom rule for probe failures grouped by source node. */
export function probeSymptomRule(spec: ProbeSymptomSpec): Rule {
  const rule: Rule = {
    id: spec.id,
    layer: spec.layer,
    needs: { probes: true },
    title: spec.title,
    why: spec.why,
    appliesTo: (ctx) => needsProbes(ctx, spec.scenarios),
    run: (ctx): Finding[] => {
      const v = probeView(ctx);
      const results = spec.scenarios
        .flatMap((s) => v.byScenario.get(s) ?? [])
        .filter((r) => spec.only?.(r) ?? true);
      const groups = bySourceNode(results);
      const failing = [...groups]
        .filter(([, rs]) => rs.some(failedProbe))
        .sort(([a], [b]) => (a < b ? -1 : 1));
      if (failing.length === 0) return [];
      const evidenceOf = (rs: typeof results) =>
        rs
          .filter(failedProbe)
          .slice(0, 6)
          .map((r) => ({ source: probeSource(r), observed: describeProbe(r) }));
      if (groups.size >= 2 && failing.length === groups.size) {
        const all = failing.flatMap(([, rs]) => rs.filter(failedProbe));
        return [
          makeFinding(
            rule,
            { kind: 'Cluster', name: 'cluster' },
            {
              severity: 'error',
              summary: `${spec.what} probes fail from every node (${all.length} of ${results.length} failed)`,
              evidence: evidenceOf(all),
              symptom: { kind: spec.kind, nodes: [] },
            },
          ),
        ];
      }
      return failing.map(([node, rs]) => {
        const bad = rs.filter(failedProbe);
        return makeFinding(
          rule,
          { kind: 'Node', name: node },
          {
            severity: 'error',
            summary: `${spec.what} probes fail from ${node} (${bad.length} of ${rs.length})${spec.someNodesHint && failing.length < groups.size ? `; ${spec.someNodesHint}` : ''}`,
            evidence: evidenceOf(rs),
            symptom: { kind: spec.kind, nodes: involvedNodes(bad) },
          },
        );
      });
    },
  };
  return rule;
}
