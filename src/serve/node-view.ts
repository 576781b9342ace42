/**
 * The dashboard's nodes: every node the report knows of, whether its datapath was read, and the
 * findings that concern it (about the node itself, or a symptom or cause that shows there).
 * A node whose datapath was not collected reads `unknown`, never healthy.
 */
import type { Report, Severity } from '../core/model.ts';
import { type ProbeMatrix, probeMatrix } from './probe-matrix.ts';
import { reportNodes } from './report-nodes.ts';
import { type Topology, topology } from './topology-view.ts';

export interface NodeFinding {
  id: string;
  rule: string;
  severity: Severity;
  summary: string;
}

export interface NodeView {
  name: string;
  podCIDR?: string;
  /** `unknown`: not collected; `problem`: a root cause names it; `warning`: findings above info. */
  health: 'ok' | 'warning' | 'problem' | 'unknown';
  notCollected?: string;
  rootCauses: string[];
  findings: NodeFinding[];
}

/** What the dashboard draws besides the report itself. */
export interface DashboardView {
  nodes: NodeView[];
  probes: ProbeMatrix;
  /** The overlay links between the nodes, for the topology picture. */
  topology: Topology;
}

export function dashboardView(report: Report): DashboardView {
  const probes = probeMatrix(report);
  const names = reportNodes(report, probes.nodes);
  const cidr = new Map<string, string>();
  for (const n of report.routeMatrix?.nodes ?? []) if (n.podCIDR) cidr.set(n.name, n.podCIDR);
  const missing = new Map(report.coverage.nodes.notCollected.map((n) => [n.node, n.reason]));
  const findings = new Map<string, NodeFinding[]>();
  for (const f of report.findings) {
    const on = new Set<string>([...(f.symptom?.nodes ?? []), ...(f.cause?.nodes ?? [])]);
    if (f.subject.kind === 'Node') on.add(f.subject.name);
    for (const n of on) {
      const list = findings.get(n) ?? [];
      list.push({ id: f.id, rule: f.rule, severity: f.severity, summary: f.summary });
      findings.set(n, list);
    }
  }
  const causes = new Map<string, string[]>();
  for (const rc of report.rootCauses)
    if (rc.subject.kind === 'Node')
      causes.set(rc.subject.name, [...(causes.get(rc.subject.name) ?? []), rc.category]);
  const nodes = [...names].sort().map((name): NodeView => {
    const fs = findings.get(name) ?? [];
    const rcs = causes.get(name) ?? [];
    const notCollected = missing.get(name);
    const health: NodeView['health'] =
      rcs.length > 0
        ? 'problem'
        : notCollected !== undefined
          ? 'unknown'
          : fs.some((f) => f.severity !== 'info')
            ? 'warning'
            : 'ok';
    return {
      name,
      ...(cidr.has(name) ? { podCIDR: cidr.get(name) as string } : {}),
      health,
      ...(notCollected !== undefined ? { notCollected } : {}),
      rootCauses: rcs,
      findings: fs,
    };
  });
  return {
    nodes,
    probes,
    topology: topology(
      report,
      nodes.map((n) => n.name),
      probes,
    ),
  };
}
