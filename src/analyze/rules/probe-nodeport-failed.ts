import { probeSymptomRule } from './support/probe-symptom.ts';

/** NodePort probes that should pass and did not. */
export const probeNodeportFailed = probeSymptomRule({
  id: 'probe-nodeport-failed',
  layer: 'service',
  title: 'NodePort probes',
  why: 'NodePorts are how traffic enters the cluster from outside; one node failing them means its proxy rules or forwarding are broken.',
  scenarios: ['nodeport'],
  kind: 'nodeport-failed',
  what: 'NodePort',
});
