/**
 * The agent's probes of cluster DNS and the API server (targets from service-targets.ts): a DNS
 * query over UDP and over TCP with `dig`, and a TLS handshake with the API server. Any DNS answer
 * (NOERROR, NXDOMAIN) proves the path and the server; SERVFAIL, REFUSED and the like are the
 * server answering that it cannot serve, an error; silence is loss. The handshake proves the
 * API server's TLS listener answers; its certificate is not checked (the agent holds no cluster
 * CA, and sends nothing over the connection) and no request is made.
 */
import { runCommand } from '../collect/node/run-command.ts';
import { connectProbe } from './connect-probe.ts';
import type { ClusterServiceId, ServiceProbeKind, ServiceTarget, ServiceVia } from './service-targets.ts';

/** How one probe of a Service ended. */
export type ServiceProbeResult = {
  service: ClusterServiceId;
  via: ServiceVia;
  /** `ip:port`. */
  target: string;
  kind: ServiceProbeKind;
} & (
  | { status: 'ok'; rttMs: number; rcode?: string }
  | { status: 'lost'; detail: string }
  | { status: 'error'; detail: string }
);

export interface ServiceProbeOptions {
  timeoutMs: number;
  /** The name asked of DNS: `kubernetes.default.svc.<cluster domain>`, which CoreDNS answers itself. */
  dnsName: string;
}

/** What `dig` printed: the answer's status and query time, or why there was no answer. */
export function parseDigOutput(
  text: string,
): { answered: true; rcode: string; ms: number | undefined } | { answered: false; detail: string } {
  const header = /->>HEADER<<- opcode: \w+, status: (\w+)/.exec(text);
  if (header) {
    const time = /;; Query time: (\d+) msec/.exec(text);
    return { answered: true, rcode: header[1]!, ms: time ? Number(time[1]) : undefined };
  }
  const why = text
    .split('\n')
    .map((l) => l.replace(/^;;\s*/, '').trim())
    .find((l) => /timed out|no servers|refused|unreachable|error/i.test(l));
  return { answered: false, detail: why ?? (text.trim().split('\n')[0] || 'no answer') };
}

const ANSWERED_OK = new Set(['NOERROR', 'NXDOMAIN']);

async function dns(t: ServiceTarget, o: ServiceProbeOptions): Promise<ServiceProbeResult> {
  const head = { service: t.service, via: t.via, target: `${t.ip}:${t.port}`, kind: t.kind };
  const waitS = Math.max(1, Math.ceil(o.timeoutMs / 1000));
  const r = await runCommand(
    [
      'dig',
      '+tries=1',
      `+time=${waitS}`,
      ...(t.kind === 'dns-tcp' ? ['+tcp'] : []),
      '-p',
      String(t.port),
      `@${t.ip}`,
      o.dnsName,
      'A',
    ],
    { timeoutMs: o.timeoutMs + 2000 },
  );
  if (r.status === 'spawn-error') return { ...head, status: 'error', detail: r.error };
  const parsed = parseDigOutput(`${r.stdout}\n${r.stderr}`);
  if (!parsed.answered) {
    // A refused TCP connection is an answer from the host: nothing serves DNS there.
    return /refused/i.test(parsed.detail)
      ? { ...head, status: 'error', detail: parsed.detail }
      : { ...head, status: 'lost', detail: parsed.detail };
  }
  if (!ANSWERED_OK.has(parsed.rcode))
    return { ...head, status: 'error', detail: `answered ${parsed.rcode} for ${o.dnsName}` };
  return { ...head, status: 'ok', rttMs: parsed.ms ?? 0, rcode: parsed.rcode };
}

/** The name the API server's certificate carries for its ClusterIP (sent as SNI). */
const API_SERVER_NAME = 'kubernetes.default.svc';

async function tls(t: ServiceTarget, o: ServiceProbeOptions): Promise<ServiceProbeResult> {
  const head = { service: t.service, via: t.via, target: `${t.ip}:${t.port}`, kind: t.kind };
  const r = await connectProbe(t.ip, t.port, { timeoutMs: o.timeoutMs, tlsServername: API_SERVER_NAME });
  if (r.status === 'ok') return { ...head, status: 'ok', rttMs: r.rttMs };
  return r.status === 'lost'
    ? { ...head, status: 'lost', detail: r.detail }
    : { ...head, status: 'error', detail: r.refused ? 'refused: nothing listens there' : r.detail };
}

/** Probes one target; never throws. */
export function probeService(t: ServiceTarget, o: ServiceProbeOptions): Promise<ServiceProbeResult> {
  return t.kind === 'tls' ? tls(t, o) : dns(t, o);
}
