import type { Finding } from '../../core/model.ts';
import type { Rule } from '../rule.ts';
import { makeFinding } from './support/datapath.ts';
import { needsProbes, probeSource, probeView } from './support/probes.ts';
import { describeCertificate, tlsTargets } from './support/tls-probes.ts';

/** Under this many days left, the certificate needs renewing now. */
export const EXPIRY_WARNING_DAYS = 14;
/** Under this many, it is worth knowing about. */
export const EXPIRY_NOTICE_DAYS = 30;

/**
 * A service outside the cluster whose certificate still verifies but runs out soon: the outage
 * it will cause can still be avoided. The nearest expiry any node saw counts.
 */
export const tlsCertificateExpiring: Rule = {
  id: 'tls-certificate-expiring',
  layer: 'service',
  needs: { probes: true },
  title: 'Certificates about to expire',
  why: 'A certificate that expires next week is an outage scheduled for next week; renewing it now costs minutes.',
  appliesTo: (ctx) => needsProbes(ctx, ['tls']),
  run: (ctx): Finding[] => {
    const out: Finding[] = [];
    for (const [target, probes] of tlsTargets(probeView(ctx).results)) {
      const ok = probes.filter((r) => r.tls?.verify === 'ok' && r.tls.daysLeft !== undefined);
      if (ok.length === 0) continue;
      const soonest = ok.reduce((a, b) => ((b.tls?.daysLeft ?? 0) < (a.tls?.daysLeft ?? 0) ? b : a));
      const days = soonest.tls?.daysLeft ?? Number.POSITIVE_INFINITY;
      if (days >= EXPIRY_NOTICE_DAYS) continue;
      out.push(
        makeFinding(
          tlsCertificateExpiring,
          { kind: 'External', name: target },
          {
            severity: days < EXPIRY_WARNING_DAYS ? 'warning' : 'info',
            summary: `the certificate of ${target} expires in ${days} day${days === 1 ? '' : 's'} (${soonest.tls?.notAfter?.slice(0, 10) ?? '?'})`,
            evidence: [{ source: probeSource(soonest), observed: describeCertificate(soonest) }],
          },
        ),
      );
    }
    return out;
  },
};
