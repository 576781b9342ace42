import type { Finding } from '../../core/model.ts';
import { causeFinding, nodeSubject } from '../finding.ts';
import { STEP } from '../remediation.ts';
import type { Rule } from '../rule.ts';

/** A NotReady node runs no new pods and its existing ones may be unreachable or evicted. */
export const nodeNotReady: Rule = {
  id: 'node-not-ready',
  layer: 'node',
  needs: { cluster: ['nodes'] },
  title: 'Nodes are Ready',
  why: 'A NotReady node’s kubelet, runtime or network plugin is down: everything scheduled there, the CNI agent and kube-proxy included, is suspect.',
  run: ({ snapshot }) => {
    const out: Finding[] = [];
    for (const n of snapshot.cluster.nodes) {
      const ready = n.status.conditions?.find((c) => c.type === 'Ready');
      if (!ready || ready.status === 'True') continue;
      const name = n.metadata.name;
      const why = [ready.reason, ready.message].filter(Boolean).join(': ');
      const netUnavailable = n.status.conditions?.find(
        (c) => c.type === 'NetworkUnavailable' && c.status === 'True',
      );
      const evidence = [
        {
          source: `cluster/nodes.json#${name}`,
          observed: `Ready=${ready.status}${why ? ` (${why})` : ''}`,
          expected: 'Ready=True',
        },
      ];
      if (netUnavailable) {
        evidence.push({
          source: `cluster/nodes.json#${name}`,
          observed: `NetworkUnavailable=True${netUnavailable.reason ? ` (${netUnavailable.reason})` : ''}`,
          expected: 'NetworkUnavailable=False',
        });
      }
      out.push(
        causeFinding(
          nodeNotReady,
          {
            subject: nodeSubject(name),
            severity: 'critical',
            summary: `Node ${name} is NotReady${why ? `: ${why}` : ''}`,
            evidence,
            nextCommands: [
              `kubectl describe node ${name}`,
              `journalctl -u kubelet --since -15m   # on ${name}`,
            ],
          },
          {
            category: 'node.not-ready',
            confidence: ready.status === 'Unknown' ? 0.85 : 0.9,
            remediation: [STEP.restartKubelet],
          },
        ),
      );
    }
    return out;
  },
};
