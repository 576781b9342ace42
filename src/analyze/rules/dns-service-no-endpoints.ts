import { causeFinding } from '../finding.ts';
import { hasGap, isPodReady } from '../k8s.ts';
import { STEP } from '../remediation.ts';
import type { Rule } from '../rule.ts';

/** The cluster DNS Service has no ready endpoint: queries to 10.96.0.10 go nowhere. */
export const dnsServiceNoEndpoints: Rule = {
  id: 'dns-service-no-endpoints',
  layer: 'dns',
  needs: { cluster: ['services', 'endpointSlices', 'pods'] },
  title: 'Cluster DNS Service has ready endpoints',
  why: 'Pods query the kube-dns Service IP, not CoreDNS directly; with no ready endpoints behind it, DNS fails even if CoreDNS itself runs.',
  appliesTo: ({ snapshot, index }) => {
    if (!index.dnsService) return { applies: false, reason: 'no kube-system/kube-dns Service' };
    if (hasGap(snapshot, 'endpointslice'))
      return { applies: false, reason: 'EndpointSlices were not collected' };
    return { applies: true };
  },
  run: ({ index }) => {
    const svc = index.dnsService;
    if (!svc) return [];
    const slices = index.slicesByService.get('kube-system/kube-dns') ?? [];
    let total = 0;
    let ready = 0;
    for (const sl of slices) {
      for (const ep of sl.endpoints ?? []) {
        total += ep.addresses.length;
        if (ep.conditions?.ready !== false) ready += ep.addresses.length;
      }
    }
    if (ready > 0) return [];
    const readyPods = index.corednsPods.filter(isPodReady).length;
    return [
      causeFinding(
        dnsServiceNoEndpoints,
        {
          subject: { kind: 'Service', namespace: 'kube-system', name: 'kube-dns' },
          severity: 'critical',
          summary: `The kube-dns Service (${svc.spec.clusterIP ?? 'no ClusterIP'}) has no ready endpoints${readyPods > 0 ? ` although ${readyPods} CoreDNS pods are ready` : ''}`,
          evidence: [
            {
              source: 'cluster/endpointslices.json#kube-system/kube-dns',
              observed: slices.length === 0 ? 'no EndpointSlice' : `${total} endpoints, none ready`,
              expected: 'one ready endpoint per CoreDNS pod',
            },
          ],
          nextCommands: [
            'kubectl -n kube-system get endpointslices -l kubernetes.io/service-name=kube-dns',
            'kubectl -n kube-system get svc kube-dns -o yaml',
          ],
        },
        {
          category: 'dns.service-no-endpoints',
          confidence: readyPods > 0 ? 0.9 : 0.8,
          remediation: [STEP.restartCoredns],
        },
      ),
    ];
  },
};
