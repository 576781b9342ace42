/** Schema of probes/results.json, matching core/probe-types.ts. */
import { PROBE_SCENARIOS, TLS_VERIFY } from '../../../core/probe-types.ts';
import { arrayOf, num, obj, oneOfStrings, type Schema, str, strings } from './common.ts';

const endpoint = obj({ node: str, pod: str, namespace: str, ip: str, port: num, name: str });

const outcome: Schema = {
  oneOf: [
    obj({ status: { const: 'pass' }, rttMs: num, detail: str }, ['status']),
    obj(
      {
        status: { const: 'fail' },
        error: oneOfStrings([
          'timeout',
          'unreachable',
          'refused',
          'nxdomain',
          'servfail',
          'reset',
          'wrong-answer',
          'other',
        ]),
        detail: str,
      },
      ['status', 'error'],
    ),
    obj({ status: { const: 'skipped' }, reason: str }, ['status', 'reason']),
    obj({ status: { const: 'error' }, error: str }, ['status', 'error']),
  ],
};

const ping = obj({ sent: num, received: num, minMs: num, avgMs: num, maxMs: num }, ['sent', 'received']);

const tls = obj(
  {
    verify: oneOfStrings(TLS_VERIFY),
    verifyDetail: str,
    version: str,
    cipher: str,
    subject: str,
    issuer: str,
    chain: strings,
    notAfter: str,
    daysLeft: num,
    dnsMs: num,
    tcpMs: num,
    tlsMs: num,
  },
  ['verify'],
);

const result = obj(
  {
    id: str,
    scenario: oneOfStrings(PROBE_SCENARIOS),
    from: endpoint,
    to: endpoint,
    protocol: oneOfStrings(['icmp', 'tcp', 'udp']),
    size: num,
    expect: oneOfStrings(['pass', 'fail']),
    outcome,
    ping,
    tls,
  },
  ['id', 'scenario', 'from', 'to', 'expect', 'outcome'],
);

/** A probe pod that never started, with the kubelet's reason. */
const podFailure = obj(
  {
    node: str,
    pod: str,
    role: oneOfStrings(['server', 'client']),
    kind: oneOfStrings(['network', 'image', 'container']),
    reason: str,
    message: str,
  },
  ['node', 'pod', 'kind'],
);

export const PROBES_SCHEMA: Schema = obj(
  { startedAt: str, durationMs: num, results: arrayOf(result), podFailures: arrayOf(podFailure) },
  ['results'],
);
