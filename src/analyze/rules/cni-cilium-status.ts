import type { Finding } from '../../core/model.ts';
import { parseCiliumStatus } from '../../datapath/parsers/cni-status.ts';
import { causeFinding, nodeSubject, symptomFinding } from '../finding.ts';
import { STEP } from '../remediation.ts';
import type { NodeResult, Rule } from '../rule.ts';

/** Components of `cilium status` that must read Ok (or be disabled) for the agent to work. */
const MUST_BE_OK = ['Cilium', 'Kubernetes', 'KVStore', 'Cilium health daemon'];

/** Cilium reports its own health; an agent that is not Ok programs no datapath for its node. */
export const cniCiliumStatus: Rule = {
  id: 'cni-cilium-status',
  layer: 'cni',
  needs: { cluster: ['daemonSets', 'pods'], node: ['cniStatus'] },
  title: 'Cilium agents report Ok',
  why: 'The Cilium agent owns its node’s eBPF datapath; `cilium status` says when it lost the API, its KVStore, or reachability to other nodes.',
  appliesTo: ({ index, collectedNodes }) => {
    if (index.cni !== 'cilium')
      return { applies: false, reason: `this cluster runs ${index.cni}, not Cilium` };
    if (collectedNodes.length === 0) return { applies: false, reason: 'no node datapath was collected' };
    return { applies: true };
  },
  runNode: (_ctx, dp): NodeResult => {
    const node = dp.name;
    const out: Finding[] = [];
    if (dp.cniStatus?.tool !== 'cilium') return { skipped: 'no `cilium status` output collected' };
    const st = parseCiliumStatus(dp.cniStatus.output);
    const source = `nodes/${node}/cni-status.txt`;
    const failing = MUST_BE_OK.filter((k) => {
      const v = st.fields[k];
      return v !== undefined && !/^(Ok|OK|Disabled)\b/.test(v);
    });
    if (failing.length > 0) {
      out.push(
        causeFinding(
          cniCiliumStatus,
          {
            subject: nodeSubject(node),
            detail: 'agent',
            severity: 'critical',
            summary: `Cilium on ${node} reports ${failing.map((k) => `${k}: ${st.fields[k]}`).join('; ')}`,
            evidence: failing.map((k) => ({
              source,
              observed: `${k}: ${st.fields[k]}`,
              expected: `${k}: Ok`,
            })),
            nextCommands: [
              'cilium status --verbose',
              'kubectl -n kube-system logs -l k8s-app=cilium --tail=100',
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
          cniCiliumStatus,
          {
            subject: nodeSubject(node),
            detail: 'health',
            severity: 'warning',
            summary: `Cilium on ${node} reaches ${h.reachable} of ${h.total} nodes`,
            evidence: [
              {
                source,
                observed: `Cluster health: ${st.fields['Cluster health']}`,
                expected: `${h.total}/${h.total} reachable`,
              },
            ],
            nextCommands: ['cilium-health status'],
          },
          { kind: 'cross-node-failed', nodes: [node] },
        ),
      );
    }

    return out;
  },
};
