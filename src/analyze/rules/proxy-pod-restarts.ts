import type { Finding } from '../../core/model.ts';
import { symptomFinding } from '../finding.ts';
import { describeHealth, podEvidenceSource, podHealth, snapshotTime } from '../k8s.ts';
import type { Rule } from '../rule.ts';

/** Symptom: kube-proxy pods crash-looping or restarting again and again (seed 001). */
export const proxyPodRestarts: Rule = {
  id: 'proxy-pod-restarts',
  layer: 'proxy',
  needs: { cluster: ['pods'] },
  title: 'kube-proxy pods stable',
  why: 'kube-proxy restarts are a signal of a cascading DNS and proxy failure; each restart also flushes and rewrites the Service rules.',
  run: ({ snapshot, index }) => {
    const now = snapshotTime(snapshot);
    const out: Finding[] = [];
    for (const pod of index.kubeProxyPods) {
      const node = pod.spec.nodeName;
      const h = podHealth(pod, now);
      if (h.state !== 'crashloop' && h.state !== 'flapping' && h.state !== 'not-ready') continue;
      out.push(
        symptomFinding(
          proxyPodRestarts,
          {
            subject: {
              kind: 'Pod',
              namespace: pod.metadata.namespace ?? 'kube-system',
              name: pod.metadata.name,
            },
            severity: h.state === 'flapping' ? 'warning' : 'error',
            summary: `kube-proxy ${pod.metadata.name}${node ? ` on ${node}` : ''} is ${describeHealth(h)}`,
            evidence: [{ source: podEvidenceSource(pod), observed: describeHealth(h) }],
          },
          { kind: h.state === 'not-ready' ? 'pod-not-ready' : 'pod-crashlooping', nodes: node ? [node] : [] },
        ),
      );
    }
    return out;
  },
};
