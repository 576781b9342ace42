import type { Finding } from '../../core/model.ts';
import { causeFinding, nodeSubject } from '../finding.ts';
import { describeHealth, nodeIsReady, podEvidenceSource, podHealth, snapshotTime } from '../k8s.ts';
import { STEP } from '../remediation.ts';
import type { Rule } from '../rule.ts';

/** Without a working kube-proxy a node's Service IPs (cluster DNS included) stop translating. */
export const proxyNotReady: Rule = {
  id: 'proxy-not-ready',
  layer: 'proxy',
  needs: { cluster: ['daemonSets', 'pods', 'nodes'] },
  title: 'kube-proxy ready on every node',
  why: 'kube-proxy writes the rules that turn Service IPs, 10.96.0.10 for DNS among them, into pod IPs; a crash-looping proxy leaves them stale or absent.',
  appliesTo: ({ snapshot, index }) =>
    index.kubeProxyPods.length > 0 ||
    snapshot.cluster.daemonSets.some((d) => d.metadata.name === 'kube-proxy')
      ? { applies: true }
      : {
          applies: false,
          reason: 'no kube-proxy DaemonSet or pods (replaced by the CNI or embedded in the distribution)',
        },
  run: ({ snapshot, index }) => {
    const now = snapshotTime(snapshot);
    const out: Finding[] = [];
    const covered = new Set<string>();
    for (const pod of index.kubeProxyPods) {
      const node = pod.spec.nodeName;
      if (!node) continue;
      covered.add(node);
      const h = podHealth(pod, now);
      if (h.state === 'ok' || h.state === 'flapping') continue;
      out.push(
        causeFinding(
          proxyNotReady,
          {
            subject: nodeSubject(node),
            severity: 'error',
            summary: `kube-proxy ${pod.metadata.name} on ${node} is ${describeHealth(h)}`,
            evidence: [
              { source: podEvidenceSource(pod), observed: describeHealth(h), expected: 'Running and Ready' },
            ],
            nextCommands: [
              `kubectl -n kube-system logs ${pod.metadata.name} --previous --tail=50`,
              'kubectl -n kube-system rollout restart daemonset/kube-proxy',
            ],
          },
          { category: 'proxy.not-ready', confidence: 0.9, remediation: [STEP.restartKubeProxy] },
        ),
      );
    }
    const ds = snapshot.cluster.daemonSets.find((d) => d.metadata.name === 'kube-proxy');
    const desired = ds?.status?.desiredNumberScheduled;
    if (ds && desired !== undefined && desired > covered.size) {
      for (const node of index.nodeNames) {
        if (covered.has(node) || !nodeIsReady(index, node)) continue;
        out.push(
          causeFinding(
            proxyNotReady,
            {
              subject: nodeSubject(node),
              severity: 'error',
              summary: `No kube-proxy pod runs on ${node}`,
              evidence: [
                {
                  source: 'cluster/pods.json',
                  observed: `DaemonSet kube-proxy wants ${desired} pods; none on ${node}`,
                  expected: 'one kube-proxy pod per node',
                },
              ],
            },
            { category: 'proxy.not-ready', confidence: 0.75, remediation: [STEP.restartKubeProxy] },
          ),
        );
      }
    }
    return out;
  },
};
