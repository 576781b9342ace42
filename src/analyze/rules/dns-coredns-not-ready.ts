import type { Evidence } from '../../core/model.ts';
import { causeFinding } from '../finding.ts';
import { describeHealth, logSource, podEvidenceSource, podHealth, podLogs, snapshotTime } from '../k8s.ts';
import { STEP } from '../remediation.ts';
import type { Rule } from '../rule.ts';

/** Log lines that say why CoreDNS stopped. */
const FATAL = /\[FATAL\]|plugin\/loop: Loop|Unknown directive|Error during parsing|panic:/;

/** CoreDNS pods crash-loop or are not ready: cluster DNS is partly or wholly down. */
export const dnsCorednsNotReady: Rule = {
  id: 'dns-coredns-not-ready',
  layer: 'dns',
  needs: { cluster: ['deployments', 'pods', 'services'] },
  title: 'Cluster DNS served',
  why: 'Every pod resolves Service names through CoreDNS; with no ready CoreDNS pod, every lookup times out.',
  appliesTo: ({ snapshot, index }) =>
    index.dnsService ||
    index.corednsPods.length > 0 ||
    snapshot.cluster.deployments.some((d) => d.metadata.name === 'coredns')
      ? { applies: true }
      : { applies: false, reason: 'no kube-dns Service, CoreDNS Deployment or pods' },
  run: ({ snapshot, index }) => {
    const now = snapshotTime(snapshot);
    const pods = index.corednsPods;
    const deployment = snapshot.cluster.deployments.find(
      (d) => d.metadata.name === 'coredns' && d.metadata.namespace === 'kube-system',
    );
    const subject = { kind: 'Deployment' as const, namespace: 'kube-system', name: 'coredns' };
    if (pods.length === 0) {
      // Scaled to 0 on purpose is fine while something else serves the DNS Service.
      const served = (index.slicesByService.get('kube-system/kube-dns') ?? []).some((sl) =>
        (sl.endpoints ?? []).some((e) => e.conditions?.ready !== false && e.addresses.length > 0),
      );
      if (deployment?.spec.replicas === 0 && served) return [];
      if (deployment?.spec.replicas === 0)
        return [
          causeFinding(
            dnsCorednsNotReady,
            {
              subject,
              severity: 'critical',
              summary: 'CoreDNS is scaled to 0 replicas: nothing answers cluster DNS queries',
              evidence: [
                {
                  source: 'cluster/deployments.json#kube-system/coredns',
                  observed: 'spec.replicas: 0, no CoreDNS pod',
                  expected: 'replicas > 0 (kubeadm runs 2)',
                },
              ],
              nextCommands: [
                'kubectl -n kube-system get deploy coredns',
                'kubectl -n kube-system scale deploy coredns --replicas=2',
              ],
            },
            // A restart of zero pods changes nothing: the replicas must come back.
            { category: 'dns.coredns-not-ready', confidence: 0.9, remediation: [STEP.scaleCoredns] },
          ),
        ];
      return [
        causeFinding(
          dnsCorednsNotReady,
          {
            subject,
            severity: 'critical',
            summary: 'No CoreDNS pod exists: nothing answers cluster DNS queries',
            evidence: [
              {
                source: 'cluster/pods.json',
                observed: 'no pod labelled k8s-app=kube-dns in kube-system',
                expected: 'two CoreDNS pods',
              },
            ],
            nextCommands: [
              'kubectl -n kube-system get deploy coredns',
              'kubectl -n kube-system get pods -l k8s-app=kube-dns',
            ],
          },
          { category: 'dns.coredns-not-ready', confidence: 0.85, remediation: [STEP.restartCoredns] },
        ),
      ];
    }
    const bad = pods
      .map((p) => ({ pod: p, h: podHealth(p, now) }))
      .filter((x) => x.h.state !== 'ok' && x.h.state !== 'flapping');
    if (bad.length === 0) return [];
    const evidence: Evidence[] = [];
    for (const { pod, h } of bad) {
      evidence.push({
        source: podEvidenceSource(pod),
        observed: `${pod.metadata.name}: ${describeHealth(h)}`,
        expected: 'Running and Ready',
      });
      for (const previous of [true, false]) {
        const lines = podLogs(snapshot, pod, { previous }).join('\n').split('\n');
        const fatal = lines.filter((l) => FATAL.test(l));
        if (fatal.length > 0) {
          evidence.push({
            source: logSource(pod, undefined, previous),
            observed: fatal.slice(-3).join('\n'),
          });
          break;
        }
      }
    }
    const all = bad.length === pods.length;
    const crash = bad.some((b) => b.h.state === 'crashloop');
    const nodes = [...new Set(bad.map((b) => b.pod.spec.nodeName).filter((n): n is string => !!n))].sort();
    return [
      causeFinding(
        dnsCorednsNotReady,
        {
          subject,
          severity: all ? 'critical' : 'warning',
          summary: `${bad.length} of ${pods.length} CoreDNS pods ${crash ? 'crash-loop or are not ready' : 'are not ready'}${all ? ': cluster DNS is down' : ''}`,
          evidence,
          nextCommands: [
            'kubectl -n kube-system get pods -l k8s-app=kube-dns -o wide',
            'kubectl -n kube-system logs -l k8s-app=kube-dns --tail=50 --previous',
            'kubectl -n kube-system rollout restart deployment/coredns',
          ],
        },
        {
          category: 'dns.coredns-not-ready',
          confidence: all ? 0.9 : 0.7,
          remediation: [STEP.restartCoredns],
          nodes,
        },
      ),
    ];
  },
};
