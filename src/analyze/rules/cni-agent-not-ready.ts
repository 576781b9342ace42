import type { Finding } from '../../core/model.ts';
import { causeFinding, nodeSubject } from '../finding.ts';
import { describeHealth, podEvidenceSource, podHealth, snapshotTime } from '../k8s.ts';
import { STEP } from '../remediation.ts';
import type { Rule } from '../rule.ts';

/** A node whose CNI agent is crash-looping, pending or not ready gets no routes or pod networking. */
export const cniAgentNotReady: Rule = {
  id: 'cni-agent-not-ready',
  layer: 'cni',
  needs: { cluster: ['daemonSets', 'pods', 'nodes'] },
  title: 'CNI agent ready on every node',
  why: 'The CNI agent programs the node’s pod subnet, routes and overlay entries; while it is down the node’s pods are cut off from the rest of the cluster.',
  appliesTo: ({ index }) =>
    index.cni === 'unknown' ? { applies: false, reason: 'no CNI detected' } : { applies: true },
  run: ({ snapshot, index }) => {
    const now = snapshotTime(snapshot);
    const out: Finding[] = [];
    const withAgent = new Set<string>();
    for (const pod of index.cniPods) {
      const node = pod.spec.nodeName;
      if (!node) continue;
      withAgent.add(node);
      const h = podHealth(pod, now);
      if (h.state === 'ok' || h.state === 'flapping') continue;
      out.push(
        causeFinding(
          cniAgentNotReady,
          {
            subject: nodeSubject(node),
            severity: h.state === 'crashloop' || h.state === 'failed' ? 'critical' : 'error',
            summary: `${index.cni} agent ${pod.metadata.name} on ${node} is ${describeHealth(h)}`,
            evidence: [
              { source: podEvidenceSource(pod), observed: describeHealth(h), expected: 'Running and Ready' },
            ],
            nextCommands: [
              `kubectl -n ${pod.metadata.namespace ?? 'default'} describe pod ${pod.metadata.name}`,
              `kubectl -n ${pod.metadata.namespace ?? 'default'} logs ${pod.metadata.name} --previous --tail=100`,
            ],
          },
          { category: 'cni.agent-not-ready', confidence: 0.9, remediation: [STEP.restartCniAgent] },
        ),
      );
    }
    const ds = index.cniDaemonSet;
    const desired = ds?.status?.desiredNumberScheduled;
    if (ds && desired !== undefined && desired > withAgent.size) {
      for (const node of index.nodeNames) {
        if (withAgent.has(node)) continue;
        const n = index.nodeByName.get(node);
        const unschedulable = n?.spec.taints?.some(
          (t) => t.effect === 'NoSchedule' && t.key === 'node.kubernetes.io/unschedulable',
        );
        if (unschedulable) continue;
        out.push(
          causeFinding(
            cniAgentNotReady,
            {
              subject: nodeSubject(node),
              severity: 'error',
              summary: `No ${index.cni} agent pod runs on ${node}`,
              evidence: [
                {
                  source: 'cluster/pods.json',
                  observed: `no pod of DaemonSet ${ds.metadata.name} on ${node}`,
                  expected: 'one agent pod per node',
                },
              ],
            },
            { category: 'cni.agent-not-ready', confidence: 0.75, remediation: [STEP.restartCniAgent] },
          ),
        );
      }
    }
    return out;
  },
};
