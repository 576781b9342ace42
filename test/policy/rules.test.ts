import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runRule } from '../../src/analyze/engine.ts';
import type { Rule } from '../../src/analyze/rule.ts';
import { policyDnsEgressBlocked } from '../../src/analyze/rules/policy-dns-egress-blocked.ts';
import { policySelectorMatchesNothing } from '../../src/analyze/rules/policy-selector-matches-nothing.ts';
import { policyTrafficBlocked } from '../../src/analyze/rules/policy-traffic-blocked.ts';
import type { Finding, Snapshot } from '../../src/core/model.ts';
import type { ProbeResult } from '../../src/core/probe-types.ts';
import { policy, snapshot } from './fixture.ts';
import { NAMESPACES, PODS, SERVICES } from './world.ts';

const RULES = [policyDnsEgressBlocked, policyTrafficBlocked, policySelectorMatchesNothing];

function run(rule: Rule, s: Snapshot): Finding[] {
  return runRule(rule, s).findings;
}

function make(policies: Parameters<typeof snapshot>[0]['policies'], probes?: ProbeResult[]): Snapshot {
  return snapshot({
    namespaces: NAMESPACES,
    pods: PODS,
    services: SERVICES,
    policies: policies ?? [],
    ...(probes ? { probes } : {}),
  });
}

const denyEgress = policy('prod', 'default-deny-egress', { podSelector: {}, policyTypes: ['Egress'] });
const dnsProbe: ProbeResult = {
  id: 'dns-udp/node-1/kube-dns',
  scenario: 'dns-udp',
  from: { namespace: 'prod', pod: 'web', node: 'node-1' },
  to: { ip: '10.96.0.10', port: 53, name: 'kubernetes.default' },
  protocol: 'udp',
  expect: 'pass',
  outcome: { status: 'fail', error: 'timeout' },
};

describe('policy.dns-egress-blocked', () => {
  it('names the isolating policy, with evidence and the allow-dns-egress remediation', () => {
    const [f, ...rest] = run(policyDnsEgressBlocked, make([denyEgress], [dnsProbe]));
    assert.equal(rest.length, 0);
    assert.ok(f);
    assert.equal(f.id, 'policy-dns-egress-blocked/NetworkPolicy/prod/default-deny-egress');
    assert.deepEqual(f.subject, { kind: 'NetworkPolicy', namespace: 'prod', name: 'default-deny-egress' });
    assert.equal(f.severity, 'error');
    assert.deepEqual(f.cause?.remediation, ['allow-dns-egress']);
    assert.equal(f.cause?.category, 'policy.dns-egress-blocked');
    assert.equal(f.cause?.confidence, 0.95);
    assert.ok(
      f.evidence.some((e) => /no egress rule of default-deny-egress allows 53\/UDP/.test(e.observed)),
    );
    assert.ok(f.evidence.some((e) => e.source.startsWith('probes/results.json#dns-udp')));
  });
  it('subject is the Namespace when several policies isolate', () => {
    const other = policy('prod', 'web-egress', {
      podSelector: { matchLabels: { app: 'web' } },
      policyTypes: ['Egress'],
      egress: [{ ports: [{ port: 443 }] }],
    });
    const [f] = run(policyDnsEgressBlocked, make([denyEgress, other]));
    assert.deepEqual(f?.subject, { kind: 'Namespace', name: 'prod' });
    assert.equal(f?.id, 'policy-dns-egress-blocked/Namespace//prod/egress');
  });
});

describe('policy.traffic-blocked', () => {
  const apiIn = policy('prod', 'api-from-web', {
    podSelector: { matchLabels: { app: 'api' } },
    ingress: [{ from: [{ podSelector: { matchLabels: { app: 'wbe' } } }] }],
  });
  const probe: ProbeResult = {
    id: 'pod-to-pod-tcp/node-1/prod/api',
    scenario: 'pod-to-pod-tcp',
    from: { namespace: 'prod', pod: 'web' },
    to: { namespace: 'prod', pod: 'api', port: 9000 },
    protocol: 'tcp',
    expect: 'pass',
    outcome: { status: 'fail', error: 'timeout' },
  };
  it('a failing probe whose flow the evaluator denies names the policy and the near-miss', () => {
    const [f, ...rest] = run(policyTrafficBlocked, make([apiIn], [probe]));
    assert.equal(rest.length, 0);
    assert.deepEqual(f?.subject, { kind: 'NetworkPolicy', namespace: 'prod', name: 'api-from-web' });
    assert.equal(f?.cause?.category, 'policy.traffic-blocked');
    assert.ok(f?.evidence.some((e) => /near miss: .*app=wbe.*app=web/.test(e.observed)));
  });
  it('a failing probe that policy allows is not blamed on policy', () => {
    const open = policy('prod', 'api-open', { podSelector: { matchLabels: { app: 'api' } }, ingress: [{}] });
    assert.deepEqual(run(policyTrafficBlocked, make([open], [probe])), []);
  });
  it('a passing probe is not examined', () => {
    assert.deepEqual(
      run(policyTrafficBlocked, make([apiIn], [{ ...probe, outcome: { status: 'pass' } }])),
      [],
    );
  });
  it('DNS denied at the source egress is left to policy.dns-egress-blocked', () => {
    assert.deepEqual(run(policyTrafficBlocked, make([denyEgress], [dnsProbe])), []);
  });
  it('ICMP probes are not claimed', () => {
    const icmp: ProbeResult = { ...probe, id: 'icmp', scenario: 'pod-to-pod-icmp', protocol: 'icmp' };
    assert.deepEqual(run(policyTrafficBlocked, make([apiIn], [icmp])), []);
  });
});

describe('policy.selector-matches-nothing', () => {
  it('a label typo is a warning cause', () => {
    const p = policy('prod', 'allow-web', { podSelector: { matchLabels: { app: 'wbe' } }, ingress: [{}] });
    const [f] = run(policySelectorMatchesNothing, make([p]));
    assert.equal(f?.severity, 'warning');
    assert.equal(f?.id, 'policy-selector-matches-nothing/NetworkPolicy/prod/allow-web/spec.podSelector');
    assert.equal(f?.cause?.category, 'policy.selector-matches-nothing');
  });
  it('plain selects-nothing is information without a cause', () => {
    const p = policy('prod', 'retired', {
      podSelector: { matchLabels: { app: 'retired-batch' } },
      ingress: [{}],
    });
    const [f] = run(policySelectorMatchesNothing, make([p]));
    assert.equal(f?.severity, 'info');
    assert.equal(f?.cause, undefined);
  });
});

describe('healthy clusters', () => {
  it('no policies: every policy rule is skipped or silent', () => {
    for (const r of RULES) assert.deepEqual(run(r, make([], [])), []);
  });
  it('policies that allow what is needed: nothing above info, no cause', () => {
    const policies = [
      policy('prod', 'default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }),
      policy('prod', 'dns', {
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [
          {
            to: [{ namespaceSelector: {}, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
            ports: [
              { port: 53, protocol: 'UDP' },
              { port: 53, protocol: 'TCP' },
            ],
          },
        ],
      }),
      policy('prod', 'intra', {
        podSelector: {},
        ingress: [{ from: [{ podSelector: {} }] }],
        egress: [{ to: [{ podSelector: {} }] }],
      }),
    ];
    const okProbe: ProbeResult = { ...dnsProbe, outcome: { status: 'pass' } };
    for (const r of RULES) {
      const fs = run(r, make(policies, [okProbe]));
      assert.deepEqual(
        fs.filter((f) => f.severity !== 'info' || f.cause),
        [],
        r.id,
      );
    }
  });
});
