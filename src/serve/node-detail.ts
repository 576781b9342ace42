/**
 * One node's drill-down on the dashboard (`/api/node?name=`): what the served report says about
 * it (health, findings, what could not be collected, its routes to every peer's pod subnet, the
 * probes from and to it) and, when its agent reports, the datapath facts and the cluster DNS and
 * API server probes of the agent's latest round. Everything comes from the redacted report and the agent's compact summary, never from
 * raw node files.
 */

import type { AgentSummary } from '../agent/agent-summary.ts';
import type { NodeFacts } from '../agent/node-check.ts';
import type { Gap, Report, RouteCell } from '../core/model.ts';
import type { AgentRecord } from './agent-roster.ts';
import type { DashboardView, NodeView } from './node-view.ts';
import type { ProbePair } from './probe-matrix.ts';

/** The route from this node to one peer's pod subnet. */
export interface NodeRoute {
  to: string;
  podCIDR?: string;
  state: RouteCell['state'];
  route?: string;
}

/** What the node's agent said last, and how long ago. */
export interface NodeAgentView {
  round: number;
  at: string;
  ageSeconds: number;
  /** Undefined when the agent could not read its node's datapath. */
  facts: NodeFacts | undefined;
  gaps: Gap[];
  /** Rules the agent could not run on the node for want of a datapath part. */
  notCollected: string[];
  /** Cluster DNS and the API server as the agent probed them from this node (absent from older agents). */
  services?: AgentSummary['services'];
  servicesNotProbed?: AgentSummary['servicesNotProbed'];
}

export interface NodeDetail extends NodeView {
  gaps: Gap[];
  /** Empty when the report has no route matrix; only problems when the matrix lists only those. */
  routes: NodeRoute[];
  routesOnlyProblems?: boolean;
  probesFrom: ProbePair[];
  probesTo: ProbePair[];
  /** Absent when no agent runs or none reported for this node. */
  agent?: NodeAgentView;
}

export function nodeDetail(
  report: Report,
  view: DashboardView,
  name: string,
  agent: AgentRecord | undefined,
  now: number,
): NodeDetail | undefined {
  const node = view.nodes.find((n) => n.name === name);
  if (!node) return undefined;
  const cidrs = new Map((report.routeMatrix?.nodes ?? []).map((n) => [n.name, n.podCIDR]));
  const routes = (report.routeMatrix?.cells ?? [])
    .filter((c) => c.from === name && c.to !== name && c.state !== 'local')
    .map((c): NodeRoute => {
      const podCIDR = cidrs.get(c.to);
      return {
        to: c.to,
        ...(podCIDR ? { podCIDR } : {}),
        state: c.state,
        ...(c.route ? { route: c.route } : {}),
      };
    });
  return {
    ...node,
    gaps: report.gaps.filter((g) => g.node === name),
    routes,
    ...(report.routeMatrix?.onlyProblems ? { routesOnlyProblems: true } : {}),
    probesFrom: view.probes.pairs.filter((p) => p.from === name && p.to !== name),
    probesTo: view.probes.pairs.filter((p) => p.to === name && p.from !== name),
    ...(agent
      ? {
          agent: {
            round: agent.summary.round,
            at: agent.summary.at,
            ageSeconds: Math.max(0, Math.round((now - agent.receivedAt) / 1000)),
            facts: agent.summary.facts,
            gaps: agent.summary.gaps,
            notCollected: agent.summary.notCollected,
            ...(agent.summary.services ? { services: agent.summary.services } : {}),
            ...(agent.summary.servicesNotProbed
              ? { servicesNotProbed: agent.summary.servicesNotProbed }
              : {}),
          },
        }
      : {}),
  };
}
