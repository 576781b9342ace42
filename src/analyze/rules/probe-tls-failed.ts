import { probeSymptomRule } from './support/probe-symptom.ts';

/**
 * TLS handshakes to services outside the cluster that never got as far as a certificate (DNS,
 * TCP or the handshake itself failed). A certificate that was refused is not counted: the
 * network delivered it, and tls-certificate-invalid names it.
 */
export const probeTlsFailed = probeSymptomRule({
  id: 'probe-tls-failed',
  layer: 'policy',
  title: 'TLS handshakes to outside services',
  why: 'Workloads call external APIs over TLS; a handshake that fails from some nodes only is those nodes (egress, MTU, a proxy), from every node it is the egress path or the service.',
  scenarios: ['tls'],
  kind: 'tls-failed',
  what: 'TLS handshake',
  only: (r) => r.tls === undefined || r.tls.verify === 'ok' || r.tls.verify === 'not-reached',
  someNodesHint:
    "they complete from the other nodes, so look at this node's egress (masquerade, forwarding), its MTU and any proxy on its path",
});
