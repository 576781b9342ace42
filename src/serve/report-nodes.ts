/**
 * The nodes a report knows of: those of its route and latency matrices and probes, those it
 * could not collect, and those its findings name. The dashboard lists them, and the agents'
 * merge expects a summary from each.
 */
import type { Report } from '../core/model.ts';

export function reportNodes(report: Report, probeNodes: readonly string[] = []): Set<string> {
  const names = new Set<string>(probeNodes);
  for (const n of report.routeMatrix?.nodes ?? []) names.add(n.name);
  for (const n of report.latencyMatrix?.nodes ?? []) names.add(n);
  for (const n of report.coverage.nodes.notCollected) names.add(n.node);
  for (const f of report.findings) {
    for (const n of f.symptom?.nodes ?? []) names.add(n);
    for (const n of f.cause?.nodes ?? []) names.add(n);
    if (f.subject.kind === 'Node') names.add(f.subject.name);
  }
  return names;
}
