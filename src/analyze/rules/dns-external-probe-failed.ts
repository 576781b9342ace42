import { dnsProbeSymptoms } from '../dns.ts';
import type { Rule } from '../rule.ts';

/** Symptom: names outside the cluster do not resolve from a node's pods. */
export const dnsExternalProbeFailed: Rule = {
  id: 'dns-external-probe-failed',
  layer: 'dns',
  needs: { probes: true },
  title: 'External names resolve from every node',
  why: 'External names go through CoreDNS to its upstream resolver; when only they fail, the upstream or the way out of the cluster is at fault.',
  appliesTo: ({ snapshot }) =>
    snapshot.probes ? { applies: true } : { applies: false, reason: 'no probe results in the snapshot' },
  run: (ctx) => dnsProbeSymptoms(dnsExternalProbeFailed, ctx, true),
};
