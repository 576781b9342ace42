import type { Finding } from '../../core/model.ts';
import { symptomFinding } from '../finding.ts';
import { describeHealth, podEvidenceSource, podHealth, snapshotTime } from '../k8s.ts';
import type { Rule } from '../rule.ts';

/** Symptom: a CoreDNS pod crash-looping or failing readiness, on its node. */
export const dnsCorednsPods: Rule = {
  id: 'dns-coredns-pods',
  layer: 'dns',
  needs: { cluster: ['pods'] },
  title: 'CoreDNS pods running and ready',
  why: 'A CoreDNS pod that crash-loops or fails readiness drops out of the DNS Service; CoreDNS in CrashLoopBackOff is often the first signal of a cascading failure.',
  run: ({ snapshot, index }) => {
    const now = snapshotTime(snapshot);
    const out: Finding[] = [];
    for (const pod of index.corednsPods) {
      const h = podHealth(pod, now);
      if (h.state === 'ok' || h.state === 'flapping') continue;
      const node = pod.spec.nodeName;
      out.push(
        symptomFinding(
          dnsCorednsPods,
          {
            subject: { kind: 'Pod', namespace: 'kube-system', name: pod.metadata.name },
            severity: 'error',
            summary: `CoreDNS pod ${pod.metadata.name}${node ? ` on ${node}` : ''} is ${describeHealth(h)}`,
            evidence: [
              { source: podEvidenceSource(pod), observed: describeHealth(h), expected: 'Running and Ready' },
            ],
          },
          { kind: h.state === 'crashloop' ? 'pod-crashlooping' : 'pod-not-ready', nodes: node ? [node] : [] },
        ),
      );
    }
    return out;
  },
};
