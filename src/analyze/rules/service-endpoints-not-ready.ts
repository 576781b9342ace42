import type { Finding } from '../../core/model.ts';
import { causeFinding } from '../finding.ts';
import {
  describeHealth,
  isPodReady,
  isStarting,
  podHealth,
  podsSelectedByService,
  snapshotTime,
} from '../k8s.ts';
import type { Rule } from '../rule.ts';
import { selectorServices } from '../service-selectors.ts';

/** A Service's pods exist but none is ready: it has no endpoint to send traffic to. */
export const serviceEndpointsNotReady: Rule = {
  id: 'service-endpoints-not-ready',
  layer: 'service',
  needs: { cluster: ['services', 'endpointSlices', 'pods'] },
  title: 'Services have ready pods',
  why: 'Only ready pods become endpoints; when every selected pod fails readiness the Service answers nothing, which looks like a network fault from outside.',
  run: ({ snapshot, index }) => {
    const now = snapshotTime(snapshot);
    const out: Finding[] = [];
    for (const svc of selectorServices(snapshot.cluster.services)) {
      const ns = svc.metadata.namespace ?? 'default';
      if (ns === 'kube-system' && svc.metadata.name === 'kube-dns') continue;
      const pods = podsSelectedByService(svc, index).filter((p) => p.status.phase !== 'Succeeded');
      // Pods that have just started are given their readiness probe's time (a rollout in progress).
      if (pods.length === 0 || pods.some(isPodReady) || pods.every((p) => isStarting(p, now))) continue;
      const nodes = [...new Set(pods.map((p) => p.spec.nodeName).filter((n): n is string => !!n))].sort();
      out.push(
        causeFinding(
          serviceEndpointsNotReady,
          {
            subject: { kind: 'Service', namespace: ns, name: svc.metadata.name },
            severity: 'error',
            summary: `None of the ${pods.length} pods of Service ${ns}/${svc.metadata.name} is ready`,
            evidence: pods.slice(0, 5).map((p) => ({
              source: `cluster/pods.json#${ns}/${p.metadata.name}`,
              observed: `${p.metadata.name}: ${describeHealth(podHealth(p, now))}`,
              expected: 'Running and Ready',
            })),
            nextCommands: [
              `kubectl -n ${ns} describe pods -l ${Object.entries(svc.spec.selector ?? {})
                .map(([k, v]) => `${k}=${v}`)
                .join(',')}`,
            ],
          },
          { category: 'service.endpoints-not-ready', confidence: 0.8, remediation: [], nodes },
        ),
      );
    }
    return out;
  },
};
