import { probeSymptomRule } from './support/probe-symptom.ts';

/** ClusterIP Service probes that should pass and did not. */
export const probeServiceFailed = probeSymptomRule({
  id: 'probe-service-failed',
  layer: 'service',
  title: 'ClusterIP Service probes',
  why: 'Workloads reach each other through Service IPs; a failing ClusterIP from one node points at that node (proxy rules, routes), from every node at the Service or DNS.',
  scenarios: ['service-clusterip'],
  kind: 'service-failed',
  what: 'ClusterIP Service',
});
