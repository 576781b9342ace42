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
}

export interface ProbeResults {
  startedAt: string;
  durationMs: number;
  results: ProbeResult[];
}
