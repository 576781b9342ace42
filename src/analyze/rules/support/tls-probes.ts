/** The TLS probes grouped by the service they went to, and how to quote a certificate. */
import type { ProbeResult } from '../../../core/probe-types.ts';

/** TLS probes by target (`host:port`), targets sorted. */
export function tlsTargets(results: readonly ProbeResult[]): [string, ProbeResult[]][] {
  const m = new Map<string, ProbeResult[]>();
  for (const r of results) {
    if (r.scenario !== 'tls') continue;
    const target = r.to.name ?? `${r.to.ip ?? '?'}:${r.to.port ?? '?'}`;
    m.set(target, [...(m.get(target) ?? []), r]);
  }
  return [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** One line about the certificate a probe saw: subject, issuer, expiry, protocol. */
export function describeCertificate(r: ProbeResult): string {
  const t = r.tls;
  if (!t) return 'no certificate details';
  const parts = [
    t.subject ? `subject ${t.subject}` : undefined,
    t.issuer ? `issuer ${t.issuer}` : undefined,
    t.chain && t.chain.length > 1 ? `chain ${t.chain.join(' < ')}` : undefined,
    t.notAfter
      ? `valid until ${t.notAfter.slice(0, 10)}${t.daysLeft !== undefined ? ` (${t.daysLeft} days left)` : ''}`
      : undefined,
    t.version ? `${t.version}${t.cipher ? ` ${t.cipher}` : ''}` : undefined,
  ].filter((p): p is string => p !== undefined);
  return parts.length > 0 ? parts.join(', ') : 'no certificate details';
}
