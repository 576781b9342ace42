import { dnsProbeSymptoms } from '../dns.ts';
import type { Rule } from '../rule.ts';

/** Symptom: cluster names (kubernetes.default, *.svc.cluster.local) do not resolve from a node's pods. */
export const dnsProbeFailed: Rule = {
  id: 'dns-probe-failed',
  layer: 'dns',
  needs: { probes: true },
  title: 'Cluster DNS answers from every node',
  why: 'DNS timeouts are how most network faults first show; which nodes fail, and against which CoreDNS pod, points at the broken path.',
  appliesTo: ({ snapshot }) =>
    snapshot.probes ? { applies: true } : { applies: false, reason: 'no probe results in the snapshot' },
  run: (ctx) => dnsProbeSymptoms(dnsProbeFailed, ctx, false),
};
