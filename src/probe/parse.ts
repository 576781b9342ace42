/**
 * Turning the probe pods' logs into results: client lines into outcomes by plan index, capture
 * lines into a VxlanCapture. Lines that do not parse are ignored (kubelet or shell noise), and
 * the runner turns a planned probe with no line into an `error` outcome.
 */

import { LINUX_VXLAN_PORT } from '../cni/vxlan.ts';
import type { VxlanCapture } from '../core/datapath-types.ts';
import {
  type PingStats,
  type ProbeOutcome,
  TLS_VERIFY,
  type TlsFacts,
  type TlsVerify,
} from '../core/probe-types.ts';

type FailError = Extract<ProbeOutcome, { status: 'fail' }>['error'];
const FAIL_ERRORS: readonly FailError[] = [
  'timeout',
  'unreachable',
  'refused',
  'nxdomain',
  'servfail',
  'reset',
  'wrong-answer',
  'other',
];

/**
 * One client line: the outcome of plan entry `index`, the payload size for MTU probes, and what
 * the ping measured for ICMP probes.
 */
export interface ClientLine {
  index: number;
  outcome: ProbeOutcome;
  size?: number;
  ping?: PingStats;
  tls?: TlsFacts;
  /** The IPv4 address the client connected to, when it resolved a name itself (TLS probes). */
  address?: string;
}

/** What a client log says: its per-probe lines, what it learned about the pod, whether it finished. */
export interface ClientLog {
  lines: Map<number, ClientLine>;
  dfPing?: boolean;
  podMtu?: number;
  done: boolean;
}

function num(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v.trim() : '';
}

/**
 * Parses one client JSON line; undefined when it is not one. `now` is when the probes started,
 * the reference for a certificate's days left.
 */
export function parseClientLine(line: string, now?: Date): ClientLine | undefined {
  let o: Record<string, unknown>;
  try {
    const v: unknown = JSON.parse(line);
    if (typeof v !== 'object' || v === null) return undefined;
    o = v as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const index = num(o.i);
  if (index === undefined) return undefined;
  const detail = str(o.d);
  const ms = num(o.ms);
  const size = num(o.z);
  const s = str(o.s);
  let outcome: ProbeOutcome;
  if (s === 'pass') {
    outcome = { status: 'pass', ...(ms !== undefined ? { rttMs: ms } : {}), ...(detail ? { detail } : {}) };
  } else if (s === 'fail') {
    const e = str(o.e) as FailError;
    outcome = { status: 'fail', error: FAIL_ERRORS.includes(e) ? e : 'other', ...(detail ? { detail } : {}) };
  } else if (s === 'skip') {
    outcome = { status: 'skipped', reason: detail || 'skipped by the probe client' };
  } else {
    outcome = { status: 'error', error: detail || `unexpected status ${JSON.stringify(s)}` };
  }
  const ping = parsePingStats(str(o.p));
  const tls = parseTlsFacts(str(o.t), now);
  const address = str(o.a);
  return {
    index,
    outcome,
    ...(size !== undefined ? { size } : {}),
    ...(ping ? { ping } : {}),
    ...(tls ? { tls } : {}),
    ...(/^\d{1,3}(\.\d{1,3}){3}$/.test(address) ? { address } : {}),
  };
}

/**
 * `<verify>|<why>|<version>|<cipher>|<notAfter>|<subject>|<issuer>|<dns s> <connect s> <tls s>|<chain>`
 * as the client prints it (curl's words and timings; the chain's subjects `^`-separated);
 * undefined when it is not one.
 */
export function parseTlsFacts(text: string, now?: Date): TlsFacts | undefined {
  const f = text.split('|').map((x) => x.trim());
  if (f.length < 8) return undefined;
  const [
    verify = '',
    why = '',
    version = '',
    cipher = '',
    expires = '',
    subject = '',
    issuer = '',
    times = '',
    chain = '',
  ] = f;
  if (!isTlsVerify(verify)) return undefined;
  const facts: TlsFacts = { verify };
  if (why) facts.verifyDetail = why;
  if (version) facts.version = version;
  if (cipher) facts.cipher = cipher;
  if (subject) facts.subject = subject;
  if (issuer) facts.issuer = issuer;
  const presented = chain
    .split('^')
    .map((c) => c.trim())
    .filter(Boolean);
  if (presented.length > 0) facts.chain = presented;
  const notAfter = expires ? Date.parse(expires.replace(/\s+/g, ' ')) : Number.NaN;
  if (Number.isFinite(notAfter)) {
    facts.notAfter = new Date(notAfter).toISOString();
    if (now) facts.daysLeft = Math.floor((notAfter - now.getTime()) / 86_400_000);
  }
  // curl's timings are cumulative seconds from the start: name lookup, TCP connect, TLS done.
  const [dns, connect, done] = times.split(/\s+/).map(Number);
  if (dns !== undefined && Number.isFinite(dns) && dns >= 0) facts.dnsMs = ms(dns);
  if (connect !== undefined && dns !== undefined && connect >= dns && connect > 0)
    facts.tcpMs = ms(connect - dns);
  if (done !== undefined && connect !== undefined && done >= connect && done > 0)
    facts.tlsMs = ms(done - connect);
  return facts;
}

function isTlsVerify(v: string): v is TlsVerify {
  return TLS_VERIFY.some((x) => x === v);
}

function ms(seconds: number): number {
  return Math.round(seconds * 1_000_000) / 1000;
}

/**
 * `<sent> <received> [<min> <avg> <max>]` as the client prints it; undefined when the ping gave
 * no packet counts (it never ran), since a made-up zero would read as total loss.
 */
export function parsePingStats(text: string): PingStats | undefined {
  const f = text.split(/\s+/).filter(Boolean).map(Number);
  const [sent, received, minMs, avgMs, maxMs] = f;
  if (f.some((n) => !Number.isFinite(n) || n < 0)) return undefined;
  if (sent === undefined || received === undefined || sent === 0 || received > sent) return undefined;
  const rtt =
    received > 0 && minMs !== undefined && avgMs !== undefined && maxMs !== undefined
      ? { minMs, avgMs, maxMs }
      : {};
  return { sent, received, ...rtt };
}

/** Parses a whole client log; `now` as for {@link parseClientLine}. */
export function parseClientLog(text: string, now?: Date): ClientLog {
  const out: ClientLog = { lines: new Map(), done: false };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line.startsWith('{')) continue;
    if (line === '{"done":1}') {
      out.done = true;
      continue;
    }
    if (line.startsWith('{"start":')) {
      try {
        const o = JSON.parse(line) as { df?: unknown; mtu?: unknown };
        out.dfPing = o.df === 1;
        const m = num(o.mtu);
        if (m) out.podMtu = m;
      } catch {}
      continue;
    }
    const l = parseClientLine(line, now);
    if (l) out.lines.set(l.index, l);
  }
  return out;
}

/** What a capture log says: started (and on which interface), the last count, or an error. */
export interface CaptureLog {
  started: boolean;
  iface?: string;
  error?: string;
  capture?: VxlanCapture;
}

/** Parses a capture pod's log; the last count line wins (counts are cumulative). */
export function parseCaptureLog(text: string, port = LINUX_VXLAN_PORT): CaptureLog {
  const out: CaptureLog = { started: false };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line.startsWith('{')) continue;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    if (o.capturing === 1) {
      out.started = true;
      if (typeof o.iface === 'string') out.iface = o.iface;
    } else if (typeof o.error === 'string') {
      out.error = o.error || 'tcpdump did not start';
    } else if (num(o.t) !== undefined && typeof o.peers === 'object' && o.peers !== null) {
      const packetsByPeer: Record<string, number> = {};
      for (const [k, v] of Object.entries(o.peers as Record<string, unknown>)) {
        const n = num(v);
        if (n !== undefined && k) packetsByPeer[k] = n;
      }
      out.capture = {
        iface: str(o.iface) || out.iface || 'any',
        port,
        seconds: num(o.t) ?? 0,
        packetsByPeer,
        total: num(o.total) ?? 0,
      };
    }
  }
  return out;
}
