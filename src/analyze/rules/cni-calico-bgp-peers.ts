import type { Finding } from '../../core/model.ts';
import { parseCalicoNodeStatus } from '../../datapath/parsers/cni-status.ts';
import { causeFinding, nodeSubject } from '../finding.ts';
import { STEP } from '../remediation.ts';
import type { NodeResult, Rule } from '../rule.ts';

/** Calico learns peer pod routes over BGP: a session that is not Established means missing routes. */
export const cniCalicoBgpPeers: Rule = {
  id: 'cni-calico-bgp-peers',
  layer: 'cni',
  needs: { cluster: ['daemonSets', 'pods'], node: ['cniStatus'] },
  title: 'Calico BGP sessions established',
  why: 'With Calico in BGP mode a node only gets routes to its peers’ pod blocks over Established BGP sessions; a session down means those pods are unreachable.',
  appliesTo: ({ index, collectedNodes }) => {
    if (index.cni !== 'calico')
      return { applies: false, reason: `this cluster runs ${index.cni}, not Calico` };
    if (collectedNodes.length === 0) return { applies: false, reason: 'no node datapath was collected' };
    return { applies: true };
  },
  runNode: (_ctx, dp): NodeResult => {
    const node = dp.name;
    const out: Finding[] = [];
    if (dp.cniStatus?.tool !== 'calicoctl') return { skipped: 'no `calicoctl node status` output collected' };
    const st = parseCalicoNodeStatus(dp.cniStatus.output);
    const source = `nodes/${node}/cni-status.txt`;
    if (!st.running) {
      out.push(
        causeFinding(
          cniCalicoBgpPeers,
          {
            subject: nodeSubject(node),
            detail: 'process',
            severity: 'critical',
            summary: `The Calico process is not running on ${node}`,
            evidence: [
              {
                source,
                observed: 'Calico process is not running.',
                expected: 'Calico process is running.',
              },
            ],
            nextCommands: [
              `kubectl -n kube-system get pods -l k8s-app=calico-node -o wide --field-selector spec.nodeName=${node}`,
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
        cniCalicoBgpPeers,
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
          nextCommands: ['calicoctl node status', 'calicoctl get bgppeer -o wide'],
        },
        { category: 'cni.routes-missing', confidence: 0.8, remediation: [STEP.restartCniAgent] },
      ),
    );

    return out;
  },
};
