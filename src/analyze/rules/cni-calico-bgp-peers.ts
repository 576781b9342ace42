import {
  agentSelector,
  displayNames,
  parseBgpSessionReport,
  reportingAdapters,
  statusReport,
} from '../../cni/index.ts';
import type { Finding } from '../../core/model.ts';
import { causeFinding, nodeSubject } from '../finding.ts';
import { STEP } from '../remediation.ts';
import type { NodeResult, Rule } from '../rule.ts';

/** The CNIs whose agents report BGP sessions (Calico). */
const BGP_CNIS = displayNames(reportingAdapters('bgp-sessions'));

/** Calico learns peer pod routes over BGP: a session that is not Established means missing routes. */
export const cniBgpPeers: Rule = {
  id: 'cni-calico-bgp-peers',
  layer: 'cni',
  needs: { cluster: ['daemonSets', 'pods'], node: ['cniStatus'] },
  title: `${BGP_CNIS} BGP sessions established`,
  why: `With ${BGP_CNIS} in BGP mode a node only gets routes to its peers’ pod blocks over Established BGP sessions; a session down means those pods are unreachable.`,
  appliesTo: ({ index, collectedNodes }) => {
    if (!statusReport(index.cniAdapter, 'bgp-sessions'))
      return { applies: false, reason: `this cluster runs ${index.cni}, not ${BGP_CNIS}` };
    if (collectedNodes.length === 0) return { applies: false, reason: 'no node datapath was collected' };
    return { applies: true };
  },
  runNode: (ctx, dp): NodeResult => {
    const node = dp.name;
    const out: Finding[] = [];
    const cni = ctx.index.cniAdapter;
    const report = statusReport(cni, 'bgp-sessions');
    if (!cni || !report) return out;
    if (!dp.cniStatus || dp.cniStatus.tool !== report.tool)
      return { skipped: `no \`${report.read}\` output collected` };
    const st = parseBgpSessionReport(dp.cniStatus.output);
    const source = `nodes/${node}/cni-status.txt`;
    if (!st.running) {
      out.push(
        causeFinding(
          cniBgpPeers,
          {
            subject: nodeSubject(node),
            detail: 'process',
            severity: 'critical',
            summary: `The ${cni.displayName} process is not running on ${node}`,
            evidence: [
              {
                source,
                observed: `${cni.displayName} process is not running.`,
                expected: `${cni.displayName} process is running.`,
              },
            ],
            nextCommands: [
              `kubectl -n ${cni.agent.namespace} get pods -l ${agentSelector(cni)} -o wide --field-selector spec.nodeName=${node}`,
            ],
          },
          { category: 'cni.agent-not-ready', confidence: 0.85, remediation: [STEP.restartCniAgent] },
        ),
      );
      return out;
    }
    const down = st.peers.filter((p) => p.state !== 'up' || !/Established/i.test(p.info));
    if (down.length === 0) return out;
    out.push(
      causeFinding(
        cniBgpPeers,
        {
          subject: nodeSubject(node),
          detail: 'bgp',
          severity: 'error',
          summary: `${down.length} of ${st.peers.length} BGP sessions on ${node} are not Established (${down.map((p) => p.address).join(', ')})`,
          evidence: down.map((p) => ({
            source,
            observed: `${p.address} (${p.type}): ${p.state} ${p.info}`,
            expected: 'up Established',
          })),
          nextCommands: [...cni.statusCommands],
        },
        { category: 'cni.routes-missing', confidence: 0.8, remediation: [STEP.restartCniAgent] },
      ),
    );

    return out;
  },
};
