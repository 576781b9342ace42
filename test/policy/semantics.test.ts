import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { K8sNetworkPolicy } from '../../src/core/cluster-types.ts';
import { explainFlow } from '../../src/policy/explain-flow.ts';
import type { Flow, FlowExplanation } from '../../src/policy/flow-types.ts';
import { parseDestination, parsePortSpec } from '../../src/policy/parse-flow-args.ts';
import { policy } from './fixture.ts';
import { worldIndex } from './world.ts';

interface Case {
  name: string;
  policies: K8sNetworkPolicy[];
  from: string;
  to: string;
  port: string;
  expect: 'allowed' | 'denied' | 'partial';
  /** Optional deeper checks on the explanation. */
  check?: (e: FlowExplanation) => void;
}

function flow(from: string, to: string, port: string): Flow {
  const f = parseDestination(from);
  if (f.kind === 'service') throw new Error('bad source');
  return { from: f, to: parseDestination(to), ...parsePortSpec(port) };
}

function run(cases: Case[]): void {
  for (const c of cases) {
    it(c.name, () => {
      const e = explainFlow(worldIndex(c.policies), flow(c.from, c.to, c.port));
      assert.equal(e.verdict, c.expect, JSON.stringify(e, null, 1));
      c.check?.(e);
    });
  }
}

function direct(e: FlowExplanation) {
  assert.equal(e.kind, 'direct');
  return e as Extract<FlowExplanation, { kind: 'direct' }>;
}

const ingressTo = (
  ns: string,
  name: string,
  app: string,
  ingress: NonNullable<K8sNetworkPolicy['spec']['ingress']>,
) => policy(ns, name, { podSelector: { matchLabels: { app } }, policyTypes: ['Ingress'], ingress });
const egressFrom = (
  ns: string,
  name: string,
  app: string,
  egress: NonNullable<K8sNetworkPolicy['spec']['egress']>,
) => policy(ns, name, { podSelector: { matchLabels: { app } }, policyTypes: ['Egress'], egress });

describe('no policies', () => {
  run([
    {
      name: 'everything is allowed, both ends non-isolated',
      policies: [],
      from: 'prod/web',
      to: 'prod/api',
      port: '9000',
      expect: 'allowed',
      check: (e) => {
        const d = direct(e);
        assert.equal(d.egress.reason, 'not-isolated');
        assert.equal(d.ingress.reason, 'not-isolated');
      },
    },
  ]);
});

describe('podSelector alone (same namespace only)', () => {
  const p = [
    ingressTo('prod', 'api-from-web', 'api', [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }] }]),
  ];
  run([
    {
      name: 'selected peer in the policy namespace is allowed, with the exact rule',
      policies: p,
      from: 'prod/web',
      to: 'prod/api',
      port: '9000',
      expect: 'allowed',
      check: (e) => {
        const v = direct(e).ingress;
        assert.equal(v.reason, 'rule-allows');
        if (v.reason === 'rule-allows') {
          assert.deepEqual(v.by, [
            { policy: { namespace: 'prod', name: 'api-from-web' }, direction: 'ingress', rule: 0, peer: 0 },
          ]);
        }
      },
    },
    {
      name: 'unselected peer is denied',
      policies: p,
      from: 'prod/db',
      to: 'prod/api',
      port: '9000',
      expect: 'denied',
    },
    {
      name: 'same labels in another namespace are denied, with a namespace near-miss',
      policies: p,
      from: 'dev/web',
      to: 'prod/api',
      port: '9000',
      expect: 'denied',
      check: (e) => {
        const v = direct(e).ingress;
        assert.equal(v.verdict, 'denied');
        if (v.verdict === 'denied') {
          assert.equal(v.nearMisses[0]?.kind, 'namespace');
          assert.deepEqual(v.isolatingPolicies, [{ namespace: 'prod', name: 'api-from-web' }]);
        }
      },
    },
    {
      name: 'egress is unaffected by an ingress-only policy',
      policies: p,
      from: 'prod/api',
      to: 'prod/db',
      port: '5432',
      expect: 'allowed',
    },
  ]);
});

describe('namespaceSelector alone', () => {
  const p = [
    ingressTo('prod', 'api-from-team-a', 'api', [
      { from: [{ namespaceSelector: { matchLabels: { team: 'a' } } }] },
    ]),
  ];
  run([
    {
      name: 'pod in a selected namespace',
      policies: p,
      from: 'dev/client',
      to: 'prod/api',
      port: '9000',
      expect: 'allowed',
    },
    {
      name: 'pod in the own namespace when it is selected',
      policies: p,
      from: 'prod/web',
      to: 'prod/api',
      port: '9000',
      expect: 'allowed',
    },
    {
      name: 'pod in an unselected namespace, near-miss on the namespace label',
      policies: p,
      from: 'other/client',
      to: 'prod/api',
      port: '9000',
      expect: 'denied',
      check: (e) => {
        const v = direct(e).ingress;
        assert.ok(
          v.verdict === 'denied' &&
            v.nearMisses.some(
              (m) =>
                m.kind === 'label' &&
                m.selector === 'namespaceSelector' &&
                m.requirement === 'team=a' &&
                m.actual === 'team=b',
            ),
        );
      },
    },
    {
      name: 'kubernetes.io/metadata.name is always a namespace label',
      policies: [
        ingressTo('prod', 'p', 'api', [
          { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'other' } } }] },
        ]),
      ],
      from: 'other/client',
      to: 'prod/api',
      port: '9000',
      expect: 'allowed',
    },
  ]);
});

describe('podSelector and namespaceSelector in one peer (AND) vs two peers (OR)', () => {
  const and = [
    ingressTo('prod', 'and', 'api', [
      {
        from: [
          {
            namespaceSelector: { matchLabels: { env: 'dev' } },
            podSelector: { matchLabels: { app: 'client' } },
          },
        ],
      },
    ]),
  ];
  const or = [
    ingressTo('prod', 'or', 'api', [
      {
        from: [
          { namespaceSelector: { matchLabels: { env: 'dev' } } },
          { podSelector: { matchLabels: { app: 'client' } } },
        ],
      },
    ]),
  ];
  run([
    {
      name: 'AND: both hold',
      policies: and,
      from: 'dev/client',
      to: 'prod/api',
      port: '9000',
      expect: 'allowed',
    },
    {
      name: 'AND: namespace holds, pod does not',
      policies: and,
      from: 'dev/web',
      to: 'prod/api',
      port: '9000',
      expect: 'denied',
    },
    {
      name: 'AND: pod holds, namespace does not',
      policies: and,
      from: 'other/client',
      to: 'prod/api',
      port: '9000',
      expect: 'denied',
    },
    {
      name: 'AND does not fall back to the policy namespace',
      policies: and,
      from: 'prod/web',
      to: 'prod/api',
      port: '9000',
      expect: 'denied',
    },
    {
      name: 'OR: namespace peer alone suffices',
      policies: or,
      from: 'dev/web',
      to: 'prod/api',
      port: '9000',
      expect: 'allowed',
    },
    {
      name: 'OR: podSelector peer still only looks in prod',
      policies: or,
      from: 'other/client',
      to: 'prod/api',
      port: '9000',
      expect: 'denied',
    },
  ]);
});

describe('matchExpressions', () => {
  const withExpr = (op: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist', key: string, values?: string[]) => [
    ingressTo('prod', 'expr', 'api', [
      {
        from: [
          {
            namespaceSelector: {},
            podSelector: {
              matchExpressions: [values ? { key, operator: op, values } : { key, operator: op }],
            },
          },
        ],
      },
    ]),
  ];
  run([
    {
      name: 'In matches',
      policies: withExpr('In', 'app', ['web', 'client']),
      from: 'dev/client',
      to: 'prod/api',
      port: '9000',
      expect: 'allowed',
    },
    {
      name: 'In does not match',
      policies: withExpr('In', 'app', ['web']),
      from: 'dev/client',
      to: 'prod/api',
      port: '9000',
      expect: 'denied',
    },
    {
      name: 'NotIn excludes',
      policies: withExpr('NotIn', 'app', ['client']),
      from: 'dev/client',
      to: 'prod/api',
      port: '9000',
      expect: 'denied',
    },
    {
      name: 'NotIn matches a pod without the key',
      policies: withExpr('NotIn', 'tier', ['front']),
      from: 'dev/client',
      to: 'prod/api',
      port: '9000',
      expect: 'allowed',
    },
    {
      name: 'Exists',
      policies: withExpr('Exists', 'tier'),
      from: 'prod/web',
      to: 'prod/api',
      port: '9000',
      expect: 'allowed',
    },
    {
      name: 'Exists fails without the key',
      policies: withExpr('Exists', 'tier'),
      from: 'dev/client',
      to: 'prod/api',
      port: '9000',
      expect: 'denied',
    },
    {
      name: 'DoesNotExist',
      policies: withExpr('DoesNotExist', 'tier'),
      from: 'dev/client',
      to: 'prod/api',
      port: '9000',
      expect: 'allowed',
    },
  ]);
});

describe('empty selectors', () => {
  run([
    {
      name: 'policy podSelector {} isolates every pod of its namespace',
      policies: [policy('prod', 'deny-all', { podSelector: {}, policyTypes: ['Ingress'] })],
      from: 'prod/web',
      to: 'prod/db',
      port: '5432',
      expect: 'denied',
    },
    {
      name: 'peer podSelector {} means every pod of the policy namespace',
      policies: [ingressTo('prod', 'same-ns', 'api', [{ from: [{ podSelector: {} }] }])],
      from: 'prod/db',
      to: 'prod/api',
      port: '9000',
      expect: 'allowed',
    },
    {
      name: 'peer podSelector {} does not reach other namespaces',
      policies: [ingressTo('prod', 'same-ns', 'api', [{ from: [{ podSelector: {} }] }])],
      from: 'dev/client',
      to: 'prod/api',
      port: '9000',
      expect: 'denied',
    },
    {
      name: 'peer namespaceSelector {} means every pod of every namespace',
      policies: [ingressTo('prod', 'all-ns', 'api', [{ from: [{ namespaceSelector: {} }] }])],
      from: 'other/client',
      to: 'prod/api',
      port: '9000',
      expect: 'allowed',
    },
    {
      name: 'a rule without from allows every source',
      policies: [ingressTo('prod', 'open', 'api', [{}])],
      from: 'other/client',
      to: 'prod/api',
      port: '12345',
      expect: 'allowed',
    },
    {
      name: 'an empty from list also allows every source (seed 003 `to: []`)',
      policies: [ingressTo('prod', 'open', 'api', [{ from: [] }])],
      from: '203.0.113.9',
      to: 'prod/api',
      port: '9000',
      expect: 'allowed',
    },
  ]);
});

describe('ipBlock with except', () => {
  const eg = [
    egressFrom('prod', 'web-out', 'web', [
      { to: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }] },
    ]),
  ];
  run([
    {
      name: 'address inside the block',
      policies: eg,
      from: 'prod/web',
      to: '10.2.3.4',
      port: '443',
      expect: 'allowed',
    },
    {
      name: 'address in an except, with an ip-excepted near-miss',
      policies: eg,
      from: 'prod/web',
      to: '10.1.2.3',
      port: '443',
      expect: 'denied',
      check: (e) => {
        const v = direct(e).egress;
        assert.ok(v.verdict === 'denied' && v.nearMisses[0]?.kind === 'ip-excepted');
      },
    },
    {
      name: 'address outside the block',
      policies: eg,
      from: 'prod/web',
      to: '8.8.8.8',
      port: '443',
      expect: 'denied',
    },
    {
      name: 'ipBlock applies to pod IPs too (spec), and the explanation says implementations differ',
      policies: eg,
      from: 'prod/web',
      to: 'prod/api',
      port: '9000',
      expect: 'allowed',
      check: (e) => assert.ok(direct(e).notes.some((n) => n.includes('ipBlock'))),
    },
    {
      name: 'ingress ipBlock matches a pod source by its IP',
      policies: [
        ingressTo('prod', 'from-cidr', 'api', [
          { from: [{ ipBlock: { cidr: '10.244.2.0/24', except: ['10.244.2.11/32'] } }] },
        ]),
      ],
      from: 'dev/client',
      to: 'prod/api',
      port: '9000',
      expect: 'allowed',
    },
    {
      name: 'ingress ipBlock except carves out one pod',
      policies: [
        ingressTo('prod', 'from-cidr', 'api', [
          { from: [{ ipBlock: { cidr: '10.244.2.0/24', except: ['10.244.2.11/32'] } }] },
        ]),
      ],
      from: 'dev/web',
      to: 'prod/api',
      port: '9000',
      expect: 'denied',
    },
    {
      name: 'external source by IP against ingress ipBlock',
      policies: [ingressTo('prod', 'from-lb', 'web', [{ from: [{ ipBlock: { cidr: '203.0.113.0/24' } }] }])],
      from: '203.0.113.7',
      to: 'prod/web',
      port: '8080',
      expect: 'allowed',
    },
  ]);
});

describe('ports: numbers, named ports, endPort, protocols', () => {
  const named = [ingressTo('prod', 'http-only', 'api', [{ ports: [{ port: 'http' }] }])];
  run([
    {
      name: 'named port resolves to the destination pod port (api http=9000)',
      policies: named,
      from: 'prod/web',
      to: 'prod/api',
      port: '9000',
      expect: 'allowed',
    },
    {
      name: 'named port does not match the number the name has on another pod',
      policies: named,
      from: 'prod/web',
      to: 'prod/api',
      port: '8080',
      expect: 'denied',
      check: (e) => {
        const v = direct(e).ingress;
        assert.ok(v.verdict === 'denied' && v.nearMisses.some((m) => m.kind === 'port'));
      },
    },
    {
      name: 'egress named port resolves per destination pod (web http=8080)',
      policies: [egressFrom('prod', 'to-http', 'api', [{ ports: [{ port: 'http' }] }])],
      from: 'prod/api',
      to: 'dev/web',
      port: '8080',
      expect: 'allowed',
    },
    {
      name: 'egress named port never matches a bare address',
      policies: [egressFrom('prod', 'to-http', 'api', [{ ports: [{ port: 'http' }] }])],
      from: 'prod/api',
      to: '1.1.1.1',
      port: '8080',
      expect: 'denied',
    },
    {
      name: 'named port requires the same protocol',
      policies: [ingressTo('prod', 'http-udp', 'api', [{ ports: [{ port: 'http', protocol: 'UDP' }] }])],
      from: 'prod/web',
      to: 'prod/api',
      port: '9000/udp',
      expect: 'denied',
    },
    {
      name: 'endPort: inside the range',
      policies: [ingressTo('prod', 'range', 'api', [{ ports: [{ port: 9000, endPort: 9100 }] }])],
      from: 'prod/web',
      to: 'prod/api',
      port: '9050',
      expect: 'allowed',
    },
    {
      name: 'endPort: the end is inclusive',
      policies: [ingressTo('prod', 'range', 'api', [{ ports: [{ port: 9000, endPort: 9100 }] }])],
      from: 'prod/web',
      to: 'prod/api',
      port: '9100',
      expect: 'allowed',
    },
    {
      name: 'endPort: past the range',
      policies: [ingressTo('prod', 'range', 'api', [{ ports: [{ port: 9000, endPort: 9100 }] }])],
      from: 'prod/web',
      to: 'prod/api',
      port: '9101',
      expect: 'denied',
    },
    {
      name: 'protocol defaults to TCP: UDP is not allowed',
      policies: [ingressTo('prod', 'tcp', 'api', [{ ports: [{ port: 9000 }] }])],
      from: 'prod/web',
      to: 'prod/api',
      port: '9000/udp',
      expect: 'denied',
    },
    {
      name: 'UDP rule',
      policies: [ingressTo('prod', 'udp', 'api', [{ ports: [{ port: 9000, protocol: 'UDP' }] }])],
      from: 'prod/web',
      to: 'prod/api',
      port: '9000/udp',
      expect: 'allowed',
    },
    {
      name: 'SCTP rule',
      policies: [ingressTo('prod', 'sctp', 'api', [{ ports: [{ port: 9000, protocol: 'SCTP' }] }])],
      from: 'prod/web',
      to: 'prod/api',
      port: '9000/sctp',
      expect: 'allowed',
    },
    {
      name: 'protocol without port: every port of it',
      policies: [ingressTo('prod', 'all-udp', 'api', [{ ports: [{ protocol: 'UDP' }] }])],
      from: 'prod/web',
      to: 'prod/api',
      port: '4242/udp',
      expect: 'allowed',
    },
    {
      name: 'ports AND peers within one rule',
      policies: [
        ingressTo('prod', 'both', 'api', [
          { from: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ port: 9000 }] },
        ]),
      ],
      from: 'prod/db',
      to: 'prod/api',
      port: '9000',
      expect: 'denied',
    },
  ]);
});

describe('policyTypes and their defaults', () => {
  run([
    {
      name: 'no policyTypes, egress rules only: Ingress is still implied, with no rule (deny all ingress)',
      policies: [policy('prod', 'implicit', { podSelector: { matchLabels: { app: 'api' } }, egress: [{}] })],
      from: 'prod/web',
      to: 'prod/api',
      port: '9000',
      expect: 'denied',
    },
    {
      name: 'no policyTypes, egress rules present: Egress is implied',
      policies: [
        policy('prod', 'implicit', {
          podSelector: { matchLabels: { app: 'web' } },
          egress: [{ ports: [{ port: 53, protocol: 'UDP' }] }],
        }),
      ],
      from: 'prod/web',
      to: 'prod/api',
      port: '9000',
      expect: 'denied',
      check: (e) => assert.equal(direct(e).egress.verdict, 'denied'),
    },
    {
      name: 'no policyTypes, empty egress list: Egress is not implied',
      policies: [
        policy('prod', 'implicit', {
          podSelector: { matchLabels: { app: 'web' } },
          ingress: [{}],
          egress: [],
        }),
      ],
      from: 'prod/web',
      to: 'prod/api',
      port: '9000',
      expect: 'allowed',
    },
    {
      name: 'policyTypes [Egress]: ingress rules are ignored and ingress is not isolated',
      policies: [
        policy('prod', 'egress-only', {
          podSelector: { matchLabels: { app: 'api' } },
          policyTypes: ['Egress'],
          ingress: [],
          egress: [{}],
        }),
      ],
      from: 'prod/web',
      to: 'prod/api',
      port: '9000',
      expect: 'allowed',
    },
    {
      name: 'policyTypes [Egress] without rules is default-deny egress',
      policies: [policy('prod', 'deny-egress', { podSelector: {}, policyTypes: ['Egress'] })],
      from: 'prod/web',
      to: 'prod/api',
      port: '9000',
      expect: 'denied',
      check: (e) => {
        assert.equal(direct(e).egress.verdict, 'denied');
        assert.equal(direct(e).ingress.reason, 'not-isolated');
      },
    },
  ]);
});

describe('isolation per direction and default-deny', () => {
  const denyEgressWeb = egressFrom('prod', 'web-no-egress', 'web', []);
  const allowApiIngress = ingressTo('prod', 'api-open', 'api', [{}]);
  run([
    {
      name: 'ingress allowed at the destination is not enough: egress denied at the source',
      policies: [denyEgressWeb, allowApiIngress],
      from: 'prod/web',
      to: 'prod/api',
      port: '9000',
      expect: 'denied',
      check: (e) => {
        const d = direct(e);
        assert.equal(d.egress.verdict, 'denied');
        assert.equal(d.ingress.verdict, 'allowed');
      },
    },
    {
      name: 'a pod selected by no policy is reachable despite a policy on its neighbour',
      policies: [allowApiIngress, ingressTo('prod', 'db-deny', 'db', [])],
      from: 'prod/api',
      to: 'prod/web',
      port: '8080',
      expect: 'allowed',
    },
    {
      name: 'default-deny plus an allow: the union of policies decides',
      policies: [
        policy('prod', 'default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }),
        policy('prod', 'web-to-api', {
          podSelector: { matchLabels: { app: 'web' } },
          policyTypes: ['Egress'],
          egress: [{ to: [{ podSelector: { matchLabels: { app: 'api' } } }] }],
        }),
        ingressTo('prod', 'api-from-web', 'api', [
          { from: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ port: 'http' }] },
        ]),
      ],
      from: 'prod/web',
      to: 'prod/api',
      port: '9000',
      expect: 'allowed',
      check: (e) => {
        const v = direct(e).ingress;
        assert.ok(v.reason === 'rule-allows' && v.isolatingPolicies.length === 2);
      },
    },
    {
      name: 'near-miss: an allow policy whose podSelector has a typo',
      policies: [
        policy('prod', 'default-deny', { podSelector: {}, policyTypes: ['Ingress'] }),
        ingressTo('prod', 'allow-web', 'wbe', [{}]),
      ],
      from: 'prod/api',
      to: 'prod/web',
      port: '8080',
      expect: 'denied',
      check: (e) => {
        const v = direct(e).ingress;
        assert.ok(
          v.verdict === 'denied' &&
            v.nearMisses.some((m) => m.kind === 'policy-selector' && m.requirement === 'app=wbe'),
        );
      },
    },
    {
      name: 'near-miss: a peer label typo (app=fronted vs app=frontend style)',
      policies: [
        ingressTo('prod', 'api-from-web', 'api', [
          { from: [{ podSelector: { matchLabels: { app: 'wbe' } } }] },
        ]),
      ],
      from: 'prod/web',
      to: 'prod/api',
      port: '9000',
      expect: 'denied',
      check: (e) => {
        const v = direct(e).ingress;
        assert.ok(
          v.verdict === 'denied' && v.nearMisses.some((m) => m.kind === 'label' && m.actual === 'app=web'),
        );
      },
    },
  ]);
});

describe('hostNetwork pods', () => {
  const denyAll = policy('prod', 'deny-all', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
  run([
    {
      name: 'policies do not isolate a hostNetwork destination',
      policies: [denyAll],
      from: 'dev/client',
      to: 'prod/agent',
      port: '10250',
      expect: 'allowed',
      check: (e) => {
        const d = direct(e);
        assert.equal(d.ingress.reason, 'not-applicable');
        assert.ok(d.notes.some((n) => n.includes('host network')));
      },
    },
    {
      name: 'policies do not isolate a hostNetwork source either',
      policies: [denyAll, ingressTo('dev', 'open', 'client', [{}])],
      from: 'prod/agent',
      to: 'dev/client',
      port: '80',
      expect: 'allowed',
    },
    {
      name: 'selectors do not match a hostNetwork source',
      policies: [ingressTo('prod', 'from-prod', 'api', [{ from: [{ podSelector: {} }] }])],
      from: 'prod/agent',
      to: 'prod/api',
      port: '9000',
      expect: 'denied',
    },
    {
      name: 'ipBlock matches a hostNetwork source by its node IP',
      policies: [
        ingressTo('prod', 'from-nodes', 'api', [{ from: [{ ipBlock: { cidr: '192.168.0.0/24' } }] }]),
      ],
      from: 'prod/agent',
      to: 'prod/api',
      port: '9000',
      expect: 'allowed',
    },
    {
      name: "traffic from the destination's own node is never blocked",
      policies: [ingressTo('prod', 'deny', 'api', [])],
      from: '192.168.0.10',
      to: 'prod/api',
      port: '9000',
      expect: 'allowed',
    },
  ]);
});

describe('Services: judged against the backends at their targetPort', () => {
  run([
    {
      name: 'Service port 80 -> named targetPort http -> 9000 on api',
      policies: [ingressTo('prod', 'api-9000', 'api', [{ ports: [{ port: 9000 }] }])],
      from: 'prod/web',
      to: 'svc/prod/api',
      port: '80',
      expect: 'allowed',
      check: (e) => {
        assert.equal(e.kind, 'service');
        if (e.kind === 'service') assert.equal(e.backends[0]?.port, 9000);
      },
    },
    {
      name: 'allowing the Service port (80) instead of the target port does not help',
      policies: [ingressTo('prod', 'api-80', 'api', [{ ports: [{ port: 80 }] }])],
      from: 'prod/web',
      to: 'svc/prod/api',
      port: '80',
      expect: 'denied',
    },
    {
      name: 'a ClusterIP address is resolved to its Service',
      policies: [policy('prod', 'deny-egress', { podSelector: {}, policyTypes: ['Egress'] })],
      from: 'prod/web',
      to: '10.96.0.10',
      port: '53/udp',
      expect: 'denied',
      check: (e) => assert.equal(e.kind, 'service'),
    },
    {
      name: 'DNS allowed by the seed 003 policy',
      policies: [
        policy('prod', 'deny-egress', { podSelector: {}, policyTypes: ['Egress'] }),
        policy('prod', 'allow-dns-egress', {
          podSelector: {},
          policyTypes: ['Egress'],
          egress: [
            {
              to: [],
              ports: [
                { protocol: 'UDP', port: 53 },
                { protocol: 'TCP', port: 53 },
              ],
            },
          ],
        }),
      ],
      from: 'prod/web',
      to: 'svc/kube-system/kube-dns',
      port: '53/udp',
      expect: 'allowed',
    },
  ]);
  it('reports an unknown Service port as unresolved', () => {
    const e = explainFlow(worldIndex([]), flow('prod/web', 'svc/prod/api', '81'));
    assert.equal(e.kind, 'unresolved');
  });
  it('reports an unknown pod as unresolved', () => {
    const e = explainFlow(worldIndex([]), flow('prod/nope', 'prod/api', '81'));
    assert.equal(e.kind, 'unresolved');
  });
});
