import type { Evidence, Finding } from '../../core/model.ts';
import { causeFinding, infoFinding } from '../finding.ts';
import { podsSelectedByService, scaledToZero } from '../k8s.ts';
import { STEP } from '../remediation.ts';
import type { Rule } from '../rule.ts';
import { findNearMiss, selectorServices } from '../service-selectors.ts';

/** A Service whose selector matches no pod has no endpoints, often from one mistyped label. */
export const serviceNoEndpoints: Rule = {
  id: 'service-no-endpoints',
  layer: 'service',
  needs: { cluster: ['services', 'pods', 'endpointSlices'] },
  title: 'Service selectors match pods',
  why: 'A selector that matches no pod leaves the Service without endpoints: connections are refused or time out, and a one-letter typo is the usual cause.',
  run: ({ snapshot, index }) => {
    const out: Finding[] = [];
    for (const svc of selectorServices(snapshot.cluster.services)) {
      const ns = svc.metadata.namespace ?? 'default';
      if (ns === 'kube-system' && svc.metadata.name === 'kube-dns') continue;
      if (podsSelectedByService(svc, index).length > 0) continue;
      const sel = svc.spec.selector as Record<string, string>;
      const selText = Object.entries(sel)
        .map(([k, v]) => `${k}=${v}`)
        .join(',');
      const subject = { kind: 'Service' as const, namespace: ns, name: svc.metadata.name };
      if (scaledToZero(svc, snapshot)) {
        out.push(
          infoFinding(serviceNoEndpoints, {
            subject,
            severity: 'info',
            summary: `Service ${ns}/${svc.metadata.name} selects no pods: its Deployment is scaled to zero`,
            evidence: [
              { source: `cluster/services.json#${ns}/${svc.metadata.name}`, observed: `selector ${selText}` },
            ],
          }),
        );
        continue;
      }
      const near = findNearMiss(sel, ns, index);
      const evidence: Evidence[] = [
        {
          source: `cluster/services.json#${ns}/${svc.metadata.name}`,
          observed: `selector ${selText} matches no pod in ${ns}`,
          expected: 'at least one pod carrying every selector label',
        },
      ];
      if (near) {
        evidence.push({
          source: `cluster/pods.json#${ns}/${near.pod.metadata.name}`,
          observed: `pod ${near.pod.metadata.name} has ${near.difference}`,
          expected: 'the selector and the pod labels spelled alike',
        });
      }
      out.push(
        causeFinding(
          serviceNoEndpoints,
          {
            subject,
            severity: 'error',
            summary: near
              ? `Service ${ns}/${svc.metadata.name} selects no pods; pod ${near.pod.metadata.name} nearly matches: ${near.difference}`
              : `Service ${ns}/${svc.metadata.name} selects no pods (selector ${selText})`,
            evidence,
            nextCommands: [
              `kubectl -n ${ns} get pods -l ${selText}`,
              `kubectl -n ${ns} get pods --show-labels`,
            ],
          },
          {
            category: 'service.no-endpoints',
            confidence: near ? 0.9 : 0.8,
            remediation: [STEP.fixServiceSelector],
          },
        ),
      );
    }
    return out;
  },
};
