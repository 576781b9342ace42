import type { Evidence, Finding, RootCauseCategory } from '../../core/model.ts';
import type { ProbeResult, TlsVerify } from '../../core/probe-types.ts';
import type { Rule } from '../rule.ts';
import { listSome, makeFinding } from './support/datapath.ts';
import { needsProbes, probeSource, probeView } from './support/probes.ts';
import { describeCertificate, tlsTargets } from './support/tls-probes.ts';

type CertCategory = Extract<RootCauseCategory, `external.certificate-${string}`>;

/** Each way a presented certificate is refused, and the root cause it names. */
const CATEGORY_OF: Readonly<Record<Exclude<TlsVerify, 'ok' | 'not-reached'>, CertCategory>> = {
  expired: 'external.certificate-expired',
  'not-yet-valid': 'external.certificate-expired',
  'name-mismatch': 'external.certificate-name-mismatch',
  untrusted: 'external.certificate-untrusted',
};

const WHAT: Readonly<Record<CertCategory, string>> = {
  'external.certificate-expired': 'a certificate outside its validity period',
  'external.certificate-name-mismatch': 'a certificate issued for another name',
  'external.certificate-untrusted': 'a certificate whose chain leads to no trusted root',
};

/**
 * A service outside the cluster presents a certificate the pods refuse: expired, for another
 * name, or from an issuer they do not trust. Every call to it fails however healthy the network
 * is. Seen from only some nodes while the others verify it, something on those nodes' path
 * (a proxy, a middlebox) answers in the service's place.
 */
export const tlsCertificateInvalid: Rule = {
  id: 'tls-certificate-invalid',
  layer: 'service',
  needs: { probes: true },
  title: 'Certificates refused by the TLS probes',
  why: 'An expired, misnamed or untrusted certificate breaks every call to the service, and no amount of network repair fixes it: it has to be named for what it is.',
  appliesTo: (ctx) => needsProbes(ctx, ['tls']),
  run: (ctx): Finding[] => {
    const out: Finding[] = [];
    for (const [target, probes] of tlsTargets(probeView(ctx).results)) {
      const reached = probes.filter((r) => r.tls !== undefined && r.tls.verify !== 'not-reached');
      const byCategory = new Map<CertCategory, ProbeResult[]>();
      for (const r of reached) {
        const v = r.tls?.verify;
        if (v === undefined || v === 'ok' || v === 'not-reached') continue;
        const c = CATEGORY_OF[v];
        byCategory.set(c, [...(byCategory.get(c) ?? []), r]);
      }
      for (const [category, bad] of [...byCategory].sort(([a], [b]) => (a < b ? -1 : 1))) {
        const nodes = [...new Set(bad.map((r) => r.from.node ?? '?'))].sort();
        const all = bad.length === reached.length;
        const seen = all
          ? `from ${nodes.length === 1 ? 'the one node that reached it' : `all ${nodes.length} nodes that reached it`}`
          : `from ${listSome(nodes, 4)} only, while ${reached.filter((r) => r.tls?.verify === 'ok').length} other probe(s) verify it: something on those nodes' path presents another certificate`;
        const first = bad[0]?.tls;
        const evidence: Evidence[] = bad.slice(0, 4).map((r) => ({
          source: probeSource(r),
          observed: `${r.from.node ?? '?'}: ${r.tls?.verifyDetail ?? r.tls?.verify}; ${describeCertificate(r)}`,
        }));
        out.push(
          makeFinding(
            tlsCertificateInvalid,
            { kind: 'External', name: target },
            {
              severity: 'error',
              detail: category,
              summary: `${target} presents ${WHAT[category]} (${first?.verifyDetail ?? first?.verify}), seen ${seen}`,
              evidence,
              cause: {
                category,
                confidence: all ? 0.9 : 0.7,
                remediation: [],
                basis: 'probes',
                nodes,
              },
              nextCommands: [
                `openssl s_client -connect ${target} -servername ${target.replace(/:\d+$/, '')} -showcerts </dev/null`,
              ],
            },
          ),
        );
      }
    }
    return out;
  },
};
