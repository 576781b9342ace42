import type { Finding } from '../../core/model.ts';
import { symptomFinding } from '../finding.ts';
import { hasGap, isStarting, podsSelectedByService, scaledToZero, snapshotTime } from '../k8s.ts';
import type { Rule } from '../rule.ts';
import { selectorServices } from '../service-selectors.ts';

/** Symptom: a Service's EndpointSlices hold no endpoint, or none that is ready. */
export const serviceEndpointsEmpty: Rule = {
  id: 'service-endpoints-empty',
  layer: 'service',
  needs: { cluster: ['services', 'endpointSlices'] },
  title: 'Service endpoints populated',
  why: 'Empty or unready endpoints are what clients of a Service see ("no endpoints"), and one of the signals of a cascading DNS and proxy failure.',
  appliesTo: ({ snapshot }) =>
    hasGap(snapshot, 'endpointslice')
      ? { applies: false, reason: 'EndpointSlices were not collected' }
      : { applies: true },
  run: ({ snapshot, index }) => {
    const now = snapshotTime(snapshot);
    const out: Finding[] = [];
    for (const svc of selectorServices(snapshot.cluster.services)) {
      const ns = svc.metadata.namespace ?? 'default';
      const slices = index.slicesByService.get(`${ns}/${svc.metadata.name}`) ?? [];
      let total = 0;
      let ready = 0;
      const nodes = new Set<string>();
      for (const sl of slices) {
        for (const ep of sl.endpoints ?? []) {
          total += ep.addresses.length;
          if (ep.conditions?.ready !== false) ready += ep.addresses.length;
          else if (ep.nodeName) nodes.add(ep.nodeName);
        }
      }
      if (ready > 0) continue;
      if (total === 0 && scaledToZero(svc, snapshot)) continue;
      // Endpoints not ready yet because every pod behind them has just started: a rollout.
      const pods = total > 0 ? podsSelectedByService(svc, index) : [];
      if (pods.length > 0 && pods.every((p) => isStarting(p, now))) continue;
      out.push(
        symptomFinding(
          serviceEndpointsEmpty,
          {
            subject: { kind: 'Service', namespace: ns, name: svc.metadata.name },
            severity: 'warning',
            summary:
              total === 0
                ? `Service ${ns}/${svc.metadata.name} has no endpoints`
                : `Service ${ns}/${svc.metadata.name} has ${total} endpoints, none ready`,
            evidence: [
              {
                source: `cluster/endpointslices.json#${ns}/${svc.metadata.name}`,
                observed: slices.length === 0 ? 'no EndpointSlice' : `${total} endpoints, ${ready} ready`,
                expected: 'at least one ready endpoint',
              },
            ],
          },
          { kind: total === 0 ? 'endpoints-empty' : 'endpoints-not-ready', nodes: [...nodes] },
        ),
      );
    }
    return out;
  },
};
