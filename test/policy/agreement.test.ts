import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { explainFlow } from '../../src/policy/explain-flow.ts';
import type { Flow } from '../../src/policy/flow-types.ts';
import { buildPolicyIndex } from '../../src/policy/policy-index.ts';
import { EXPECTED_ALLOWED } from './agreement-expected.ts';
import { suiteSnapshot } from './agreement-snapshot.ts';
import { type AgreementCase, SUITE_POLICIES, suiteCases } from './agreement-suite.ts';

const index = buildPolicyIndex(suiteSnapshot());

function verdict(c: Pick<AgreementCase, 'from' | 'to' | 'port' | 'protocol'>): string {
  const [fn, fp] = c.from.split('/') as [string, string];
  const [tn, tp] = c.to.split('/') as [string, string];
  const flow: Flow = {
    from: { kind: 'pod', namespace: fn, name: fp },
    to: { kind: 'pod', namespace: tn, name: tp },
    port: c.port,
    protocol: c.protocol,
  };
  return explainFlow(index, flow).verdict;
}

describe('agreement suite (data for the lab)', () => {
  const cases = suiteCases();

  it('is large enough and covers the required features', () => {
    assert.ok(cases.length >= 100, `${cases.length} cases`);
    assert.ok(SUITE_POLICIES.length >= 10, `${SUITE_POLICIES.length} policies`);
    const json = JSON.stringify(SUITE_POLICIES);
    for (const feature of [
      'namespaceSelector',
      'except',
      'endPort',
      '"port":"http"',
      'matchExpressions',
      'UDP',
    ]) {
      assert.ok(json.includes(feature), feature);
    }
    assert.equal(new Set(cases.map((c) => c.id)).size, cases.length, 'ids are unique');
    const allowed = new Set(EXPECTED_ALLOWED);
    assert.ok(allowed.size > 30 && allowed.size < cases.length - 30, 'a balanced mix of verdicts');
    for (const id of allowed)
      assert.ok(
        cases.some((c) => c.id === id),
        `unknown case ${id}`,
      );
  });

  it('the evaluator gives the frozen verdict for every case', () => {
    const allowed = new Set(EXPECTED_ALLOWED);
    const wrong = cases.filter((c) => (verdict(c) === 'allowed') !== allowed.has(c.id)).map((c) => c.id);
    assert.deepEqual(wrong, []);
  });

  // Worked out by hand from the policy text, independently of the evaluator.
  const HAND: [string, string, number, 'TCP' | 'UDP', 'allowed' | 'denied', string][] = [
    ['nd-shop/web-0', 'nd-shop/api-0', 9000, 'TCP', 'allowed', 'api-from-web rule 0, numeric port'],
    ['nd-shop/web-0', 'nd-shop/api-0', 50051, 'TCP', 'allowed', 'api-from-web rule 0, named port grpc'],
    ['nd-shop/web-0', 'nd-shop/api-0', 7777, 'TCP', 'denied', 'api is isolated, no rule has 7777'],
    [
      'nd-shop/cache-0',
      'nd-shop/api-0',
      8125,
      'UDP',
      'denied',
      'cache-no-egress: cache may not send anything',
    ],
    ['nd-shop/web-0', 'nd-shop/api-0', 8125, 'UDP', 'allowed', 'api-stats-udp: named UDP port stats=8125'],
    ['nd-shop/web-0', 'nd-shop/web-1', 8081, 'TCP', 'allowed', 'named port http is 8081 on web-1'],
    ['nd-shop/web-0', 'nd-shop/web-1', 9100, 'TCP', 'denied', 'metrics only from prometheus'],
    [
      'nd-mon/prom-0',
      'nd-shop/web-1',
      9100,
      'TCP',
      'allowed',
      'metrics-from-prometheus: ns AND pod, endPort range',
    ],
    [
      'nd-mon/probe-0',
      'nd-shop/web-1',
      9100,
      'TCP',
      'denied',
      'blackbox is in the right namespace but not app=prometheus',
    ],
    ['nd-dev/web-0', 'nd-shop/api-0', 9000, 'TCP', 'denied', 'podSelector-only peer looks in nd-shop only'],
    [
      'nd-dev/web-0',
      'nd-shop/web-0',
      8080,
      'TCP',
      'allowed',
      'dev egress to nd-shop; web http from any namespace',
    ],
    ['nd-dev/web-0', 'nd-mon/prom-0', 9090, 'TCP', 'denied', 'dev egress only to nd-shop'],
    [
      'nd-dev/tester-0',
      'nd-pay/gateway-0',
      8443,
      'TCP',
      'denied',
      'dev egress only to nd-shop (ingress would allow team=shop)',
    ],
    ['nd-shop/api-0', 'nd-pay/gateway-0', 8443, 'TCP', 'allowed', 'gateway-from-shop: namespace team=shop'],
    ['nd-shop/api-0', 'nd-pay/gateway-0', 9443, 'TCP', 'denied', 'gateway-from-shop allows 8443 only'],
    ['nd-pay/gateway-0', 'nd-pay/db-0', 5432, 'TCP', 'allowed', 'gateway-to-db (named pg) + db-from-gateway'],
    [
      'nd-pay/worker-0',
      'nd-pay/db-0',
      5432,
      'TCP',
      'denied',
      'ipBlock except carves out db-0; db ingress only gateway anyway',
    ],
    [
      'nd-pay/worker-0',
      'nd-shop/api-0',
      9000,
      'TCP',
      'allowed',
      'ipBlock egress 5000-9100; api rule 1: team=pay AND app=worker',
    ],
    ['nd-pay/worker-0', 'nd-shop/api-0', 50051, 'TCP', 'denied', 'worker egress range ends at 9100'],
    ['nd-pay/worker-0', 'nd-mon/probe-0', 9115, 'TCP', 'denied', 'endPort 9100 < 9115'],
    [
      'nd-pay/worker-0',
      'nd-mon/prom-0',
      9090,
      'TCP',
      'allowed',
      'inside the egress range; nd-mon not isolated',
    ],
    ['nd-pay/gateway-0', 'nd-shop/web-0', 8080, 'TCP', 'denied', 'gateway egress only to db'],
    ['nd-mon/prom-0', 'nd-pay/worker-0', 9050, 'TCP', 'allowed', 'worker-from-monitoring: purpose Exists'],
    ['nd-shop/web-0', 'nd-pay/worker-0', 9050, 'TCP', 'denied', 'nd-shop has no purpose label'],
    [
      'nd-shop/api-0',
      'nd-shop/cache-0',
      6379,
      'TCP',
      'allowed',
      'cache-from-api (policyTypes defaulted to Ingress)',
    ],
    ['nd-shop/web-0', 'nd-shop/cache-0', 6379, 'TCP', 'denied', 'cache-from-api only from api'],
    [
      'nd-pay/db-0',
      'nd-mon/prom-0',
      9090,
      'TCP',
      'denied',
      'default-deny-all in nd-pay, db has no egress allow',
    ],
    ['nd-mon/probe-0', 'nd-dev/tester-0', 7777, 'TCP', 'allowed', 'neither side isolated for this direction'],
  ];
  for (const [from, to, port, protocol, expect, why] of HAND) {
    it(`by hand: ${from} -> ${to} ${port}/${protocol} is ${expect} (${why})`, () => {
      assert.equal(verdict({ from, to, port, protocol }), expect);
      const id = `${from}>${to}:${port}/${protocol}`;
      if (cases.some((c) => c.id === id)) assert.equal(EXPECTED_ALLOWED.includes(id), expect === 'allowed');
    });
  }
});
