import type { Evidence, Finding, Subject } from '../../core/model.ts';
import type { ProbeResult } from '../../core/probe-types.ts';
import { lintDnsEgress } from '../../policy/lint/dns-egress.ts';
import type { PolicyLint } from '../../policy/lint/lint-types.ts';
import { policyIndexFor } from '../../policy/policy-index.ts';
import { causeFinding } from '../finding.ts';
import type { Rule } from '../rule.ts';

/** The repair step that adds the seed 003 allowance (egress UDP and TCP 53 to kube-dns). */
const ALLOW_DNS_EGRESS = 'allow-dns-egress';

type DnsLint = Extract<PolicyLint, { kind: 'dns-egress-blocked' }>;

function subjectOf(l: DnsLint): Subject {
  const only = l.isolatingPolicies.length === 1 ? l.isolatingPolicies[0] : undefined;
  return only
    ? { kind: 'NetworkPolicy', namespace: only.namespace, name: only.name }
    : { kind: 'Namespace', name: l.namespace };
}

function failedDnsProbes(probes: ProbeResult[] | undefined, ns: string): ProbeResult[] {
  return (probes ?? []).filter(
    (p) =>
      (p.scenario === 'dns-udp' || p.scenario === 'dns-tcp') &&
      p.from.namespace === ns &&
      p.expect === 'pass' &&
      p.outcome.status === 'fail',
  );
}

/**
 * A default-deny egress without a DNS allowance (seed 003): every name lookup from the
 * namespace times out, which looks like a broken CoreDNS but is policy.
 */
export const policyDnsEgressBlocked: Rule = {
  id: 'policy-dns-egress-blocked',
  layer: 'policy',
  needs: { cluster: ['networkPolicies', 'pods', 'namespaces', 'services'] },
  title: 'Pods isolated for egress can reach cluster DNS',
  why: 'An egress policy without a port-53 allowance makes every lookup in the namespace time out; it looks like a CoreDNS outage but is policy.',
  appliesTo: ({ snapshot }) =>
    snapshot.cluster.networkPolicies.length === 0
      ? { applies: false, reason: 'no NetworkPolicies in the snapshot' }
      : { applies: true },
  run: ({ snapshot }) => {
    const index = policyIndexFor(snapshot);
    const out: Finding[] = [];
    for (const lint of lintDnsEgress(index)) {
      if (lint.kind !== 'dns-egress-blocked') continue;
      const protos = lint.deniedProtocols.map((p) => `53/${p}`).join(' and ');
      const names = lint.isolatingPolicies.map((p) => p.name).join(', ');
      const evidence: Evidence[] = lint.isolatingPolicies.map((p) => ({
        source: `cluster/networkpolicies.json#${p.namespace}/${p.name}`,
        observed: `isolates pods of ${lint.namespace} for egress (${lint.pods.length} affected: ${lint.pods.slice(0, 5).join(', ')}${lint.pods.length > 5 ? ', ...' : ''})`,
      }));
      evidence.push({
        source: 'cluster/networkpolicies.json',
        observed: `no egress rule of ${names} allows ${protos} to ${lint.dnsTarget}`,
        expected: 'an egress rule allowing UDP and TCP 53 to the kube-dns pods',
      });
      const probes = failedDnsProbes(snapshot.probes?.results, lint.namespace);
      for (const p of probes.slice(0, 3)) {
        evidence.push({
          source: `probes/results.json#${p.id}`,
          observed: `${p.scenario} from ${p.from.namespace}/${p.from.pod ?? '?'} failed (${p.outcome.status === 'fail' ? p.outcome.error : ''})`,
        });
      }
      const udp = lint.deniedProtocols.includes('UDP');
      const first = lint.pods[0];
      out.push(
        causeFinding(
          policyDnsEgressBlocked,
          {
            subject: subjectOf(lint),
            severity: udp ? 'error' : 'warning',
            summary: udp
              ? `NetworkPolicy ${names} in ${lint.namespace} blocks DNS: no egress rule allows ${protos} to ${lint.dnsTarget}`
              : `NetworkPolicy ${names} in ${lint.namespace} allows DNS over UDP but not TCP 53: large answers (truncated, retried over TCP) fail`,
            evidence,
            ...(lint.isolatingPolicies.length === 1 ? {} : { detail: 'egress' }),
            nextCommands: [
              ...(first
                ? [
                    `netdoctor policy explain --from ${lint.namespace}/${first} --to svc/kube-system/kube-dns --port 53/udp`,
                  ]
                : []),
              `kubectl -n ${lint.namespace} get networkpolicy -o yaml`,
            ],
          },
          {
            category: 'policy.dns-egress-blocked',
            confidence: udp ? (probes.length > 0 ? 0.95 : 0.85) : 0.5,
            remediation: [ALLOW_DNS_EGRESS],
          },
        ),
      );
    }
    return out;
  },
};
