import { describeLocation, type PolicyLint } from './lint/lint-types.ts';

/** One line per lint (plus a hint), for `netdoctor policy lint`. */
export function describeLint(l: PolicyLint): string {
  switch (l.kind) {
    case 'selects-nothing':
      return `${l.policy.namespace}/${l.policy.name}: ${describeLocation(l.where)} ${l.selector} selects no pods`;
    case 'label-typo':
      return `${l.policy.namespace}/${l.policy.name}: ${describeLocation(l.where)} requires ${l.requirement}, which nothing carries; did you mean ${l.suggestion}? (would select ${l.wouldSelect})`;
    case 'dns-egress-blocked':
      return `namespace ${l.namespace}: ${l.pods.length} pod(s) isolated for egress by ${l.isolatingPolicies.map((p) => p.name).join(', ')} cannot reach ${l.dnsTarget} on 53/${l.deniedProtocols.join('+53/')}; add an egress rule allowing UDP and TCP 53 to kube-dns`;
    case 'namespace-unreachable':
      return `namespace ${l.namespace}: all ${l.pods} pod(s) are isolated for ingress by ${l.isolatingPolicies.map((p) => p.name).join(', ')} and no rule admits traffic from anywhere`;
  }
}

export function renderLints(lints: PolicyLint[]): string {
  if (lints.length === 0) return 'no policy problems found\n';
  return `${lints.map((l) => `${l.severity.toUpperCase().padEnd(7)} ${l.kind}  ${describeLint(l)}`).join('\n')}\n`;
}
