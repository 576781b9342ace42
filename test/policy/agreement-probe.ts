/**
 * Probing agreement cases for real: one shell script per source pod that tries all of that
 * pod's cases at once and prints one line per case, so a whole suite costs one `kubectl exec`
 * per source pod instead of one per case.
 *
 * TCP: a connection that gets any HTTP answer is allowed. UDP: a DNS query to the CoreDNS
 * listener must be answered, because a datagram alone proves nothing (no handshake). Anything
 * else (refused, unreachable, timed out) counts as denied; the caller first runs the suite
 * without policies to prove every listener answers, so a denied case is the policy's doing.
 */
import type { AgreementCase } from './agreement-suite.ts';

export type RealVerdict = 'allowed' | 'denied';

export interface ProbeTarget {
  c: AgreementCase;
  ip: string;
}

export interface ProbeOutcome {
  verdict: RealVerdict;
  /** The probe tool's exit status: 0 allowed; curl 7 refused, 28 timed out; dig 9 no reply. */
  exit: number;
}

/** Short: kube-router rejects at once, and a silent drop still fails within the budget. */
export const PROBE_TIMEOUT_S = 2;

function probeCommand(t: ProbeTarget): string {
  if (t.c.protocol === 'UDP') {
    return `dig @${t.ip} -p ${t.c.port} +notcp +time=${PROBE_TIMEOUT_S} +tries=1 agreement.nd. >/dev/null 2>&1`;
  }
  return `curl -s -o /dev/null --connect-timeout ${PROBE_TIMEOUT_S} -m ${PROBE_TIMEOUT_S + 1} http://${t.ip}:${t.c.port}/`;
}

/** The script for one source pod: every probe in the background, one `R <id> <exit>` line each. */
export function probeScript(targets: readonly ProbeTarget[]): string {
  const lines = targets.map((t) => `(${probeCommand(t)}; echo "R ${t.c.id} $?") &`);
  return `${lines.join('\n')}\nwait\n`;
}

/** The outcomes by case id; a case without a line is missing from the map. */
export function parseProbeOutput(out: string): Map<string, ProbeOutcome> {
  const m = new Map<string, ProbeOutcome>();
  for (const line of out.split('\n')) {
    const r = /^R (\S+) (\d+)$/.exec(line.trim());
    if (!r) continue;
    const exit = Number(r[2]);
    m.set(r[1]!, { verdict: exit === 0 ? 'allowed' : 'denied', exit });
  }
  return m;
}
