/**
 * Active probe results, as `diagnose` records them in probes/results.json. A scenario says what
 * it sends; the expectation (what should happen for that pair) is recorded beside the outcome,
 * so rules compare the two instead of assuming every probe should pass.
 */

export const PROBE_SCENARIOS = [
  'pod-to-pod-icmp',
  'pod-to-pod-tcp',
  'dns-udp',
  'dns-tcp',
  'service-clusterip',
  'nodeport',
  'external',
  'mtu',
  'tls',
] as const;
export type ProbeScenario = (typeof PROBE_SCENARIOS)[number];

/** Where a probe ran from or went to. */
export interface ProbeEndpoint {
  node?: string;
  pod?: string;
  namespace?: string;
  ip?: string;
  port?: number;
  /** DNS name queried, Service name, or external target. */
  name?: string;
}

export type ProbeOutcome =
  | { status: 'pass'; rttMs?: number; detail?: string }
  | {
      status: 'fail';
      error:
        | 'timeout'
        | 'unreachable'
        | 'refused'
        | 'nxdomain'
        | 'servfail'
        | 'reset'
        | 'wrong-answer'
        | 'other';
      detail?: string;
    }
  | { status: 'skipped'; reason: string }
  | { status: 'error'; error: string };

/**
 * What one ping probe measured: echo requests sent and answered, and the round-trip times of
 * the answers (absent when none came back).
 */
export interface PingStats {
  sent: number;
  received: number;
  minMs?: number;
  avgMs?: number;
  maxMs?: number;
}

/**
 * How a TLS probe's certificate check ended: `ok` verified; `expired` / `not-yet-valid` outside
 * its validity; `name-mismatch` valid but not for the name asked; `untrusted` its chain does not
 * lead to a trusted root (self-signed, unknown issuer); `not-reached` no certificate was seen
 * (DNS, TCP or the handshake itself failed).
 */
export const TLS_VERIFY = [
  'ok',
  'expired',
  'not-yet-valid',
  'name-mismatch',
  'untrusted',
  'not-reached',
] as const;
export type TlsVerify = (typeof TLS_VERIFY)[number];

/** What a TLS probe learned about the handshake and the server's certificate. */
export interface TlsFacts {
  verify: TlsVerify;
  /** The TLS client's own words for a failed verification or handshake. */
  verifyDetail?: string;
  /** Negotiated protocol version and cipher, e.g. `TLSv1.3`, `TLS_AES_256_GCM_SHA384`. */
  version?: string;
  cipher?: string;
  /** The leaf certificate's subject and issuer. */
  subject?: string;
  issuer?: string;
  /** Subjects of the certificates the server presented, leaf first (up to five). */
  chain?: string[];
  /** The leaf certificate's notAfter (ISO 8601), and whole days left from the probe's start. */
  notAfter?: string;
  daysLeft?: number;
  /** Time spent resolving the name, connecting over TCP, and in the TLS handshake. */
  dnsMs?: number;
  tcpMs?: number;
  tlsMs?: number;
}

export interface ProbeResult {
  /** Stable id: `<scenario>/<from-node>/<to>`. */
  id: string;
  scenario: ProbeScenario;
  from: ProbeEndpoint;
  to: ProbeEndpoint;
  protocol?: 'icmp' | 'tcp' | 'udp';
  /** For MTU probes: payload size sent with don't-fragment. */
  size?: number;
  expect: 'pass' | 'fail';
  outcome: ProbeOutcome;
  /** For ICMP probes: the ping's packet counts and round-trip times (latency and loss per pair). */
  ping?: PingStats;
  /** For TLS probes: the handshake and the certificate. */
  tls?: TlsFacts;
}

/**
 * A probe pod that could not start on its node, with the kubelet's reason: an observation about
 * the node (no pod can get a network there), not a hole in the collection.
 */
export interface ProbePodFailure {
  node: string;
  pod: string;
  role: 'server' | 'client';
  /** `network`: the pod sandbox (CNI ADD) failed; `image`: the image cannot be pulled; `container`: it cannot be created. */
  kind: 'network' | 'image' | 'container';
  reason: string;
  message: string;
}

export interface ProbeResults {
  startedAt: string;
  durationMs: number;
  results: ProbeResult[];
  /** Probe pods that never started, and why. */
  podFailures?: ProbePodFailure[];
}
