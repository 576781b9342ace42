import {
  agentSelector,
  displayNames,
  parseAgentHealthReport,
  reportingAdapters,
  statusReport,
} from '../../cni/index.ts';
import type { Finding } from '../../core/model.ts';
import { causeFinding, nodeSubject, symptomFinding } from '../finding.ts';
import { STEP } from '../remediation.ts';
import type { NodeResult, Rule } from '../rule.ts';

/** The CNIs whose agents report their own health (Cilium). */
const REPORTING = reportingAdapters('agent-health');
const NAMES = displayNames(REPORTING);

/** Cilium reports its own health; an agent that is not Ok programs no datapath for its node. */
export const cniAgentHealth: Rule = {
  id: 'cni-cilium-status',
  layer: 'cni',
  needs: { cluster: ['daemonSets', 'pods'], node: ['cniStatus'] },
  title: `${NAMES} agents report Ok`,
  why: `The ${NAMES} agent owns its node’s eBPF datapath; \`${REPORTING.map((a) => statusReport(a, 'agent-health')?.read).join('`, `')}\` says when it lost the API, its KVStore, or reachability to other nodes.`,
  appliesTo: ({ index, collectedNodes }) => {
    if (!statusReport(index.cniAdapter, 'agent-health'))
      return { applies: false, reason: `this cluster runs ${index.cni}, not ${NAMES}` };
    if (collectedNodes.length === 0) return { applies: false, reason: 'no node datapath was collected' };
    return { applies: true };
  },
  runNode: (ctx, dp): NodeResult => {
    const node = dp.name;
    const out: Finding[] = [];
    const cni = ctx.index.cniAdapter;
    const report = statusReport(cni, 'agent-health');
    if (!cni || !report) return out;
    if (!dp.cniStatus || dp.cniStatus.tool !== report.tool)
      return { skipped: `no \`${report.read}\` output collected` };
    const st = parseAgentHealthReport(dp.cniStatus.output);
    const source = `nodes/${node}/cni-status.txt`;
    const failing = (report.mustBeOk ?? []).filter((k) => {
      const v = st.fields[k];
      return v !== undefined && !/^(Ok|OK|Disabled)\b/.test(v);
    });
    const [statusCommand, healthCommand] = cni.statusCommands;
    if (failing.length > 0) {
      out.push(
        causeFinding(
          cniAgentHealth,
          {
            subject: nodeSubject(node),
            detail: 'agent',
            severity: 'critical',
            summary: `${cni.displayName} on ${node} reports ${failing.map((k) => `${k}: ${st.fields[k]}`).join('; ')}`,
            evidence: failing.map((k) => ({
              source,
              observed: `${k}: ${st.fields[k]}`,
              expected: `${k}: Ok`,
            })),
            nextCommands: [
              ...(statusCommand ? [statusCommand] : []),
              `kubectl -n ${cni.agent.namespace} logs -l ${agentSelector(cni)} --tail=100`,
            ],
          },
          { category: 'cni.agent-not-ready', confidence: 0.85, remediation: [STEP.restartCniAgent] },
        ),
      );
    }
    const h = st.clusterHealth;
    if (h && h.reachable < h.total) {
      out.push(
        symptomFinding(
          cniAgentHealth,
          {
            subject: nodeSubject(node),
            detail: 'health',
            severity: 'warning',
            summary: `${cni.displayName} on ${node} reaches ${h.reachable} of ${h.total} nodes`,
            evidence: [
              {
                source,
                observed: `Cluster health: ${st.fields['Cluster health']}`,
                expected: `${h.total}/${h.total} reachable`,
              },
            ],
            nextCommands: healthCommand ? [healthCommand] : [],
          },
          { kind: 'cross-node-failed', nodes: [node] },
        ),
      );
    }

    return out;
  },
};
