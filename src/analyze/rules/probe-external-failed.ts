import { probeSymptomRule } from './support/probe-symptom.ts';

/** Probes from pods to destinations outside the cluster that should pass and did not. */
export const probeExternalFailed = probeSymptomRule({
  id: 'probe-external-failed',
  layer: 'policy',
  title: 'External egress probes',
  why: 'Pods that cannot reach the outside break image pulls, webhooks and external APIs; from one node only it is that node (masquerade, forwarding), from all it is egress or DNS.',
  scenarios: ['external'],
  kind: 'external-failed',
  what: 'external',
});
