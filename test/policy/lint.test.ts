import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lintDnsEgress } from '../../src/policy/lint/dns-egress.ts';
import { lintPolicies } from '../../src/policy/lint/index.ts';
import { lintSelectsNothing } from '../../src/policy/lint/selects-nothing.ts';
import { lintUnreachableNamespaces } from '../../src/policy/lint/unreachable-namespaces.ts';
import { buildPolicyIndex } from '../../src/policy/policy-index.ts';
import { renderLints } from '../../src/policy/render-lints.ts';
import { policy, snapshot } from './fixture.ts';
import { NAMESPACES, PODS, SERVICES, worldIndex } from './world.ts';

const denyEgress = policy('prod', 'default-deny-egress', { podSelector: {}, policyTypes: ['Egress'] });
const allowDns = policy('prod', 'allow-dns', {
  podSelector: {},
  policyTypes: ['Egress'],
  egress: [
    {
      to: [
        {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
          podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
        },
      ],
      ports: [
        { port: 53, protocol: 'UDP' },
        { port: 53, protocol: 'TCP' },
      ],
    },
  ],
});

describe('lint: DNS egress blocked (seed 003)', () => {
  it('default-deny egress without a DNS allowance', () => {
    const lints = lintDnsEgress(worldIndex([denyEgress]));
    assert.equal(lints.length, 1);
    const l = lints[0]!;
    assert.ok(l.kind === 'dns-egress-blocked');
    assert.equal(l.namespace, 'prod');
    assert.equal(l.severity, 'error');
    assert.deepEqual(l.deniedProtocols, ['UDP', 'TCP']);
    assert.deepEqual(l.isolatingPolicies, [{ namespace: 'prod', name: 'default-deny-egress' }]);
    assert.deepEqual(l.pods, ['api', 'db', 'web']);
    assert.match(l.dnsTarget, /kube-dns \(10\.96\.0\.10\)/);
  });
  it('no lint once DNS is allowed to the kube-dns pods', () => {
    assert.deepEqual(lintDnsEgress(worldIndex([denyEgress, allowDns])), []);
  });
  it('a namespace being deleted, or pods being deleted, are no DNS outage', () => {
    const gone = '2026-12-06T05:00:00Z';
    const terminating = snapshot({
      namespaces: NAMESPACES.map((n) =>
        n.metadata.name === 'prod' ? { metadata: { ...n.metadata, deletionTimestamp: gone } } : n,
      ),
      pods: PODS,
      services: SERVICES,
      policies: [denyEgress],
    });
    assert.deepEqual(lintDnsEgress(buildPolicyIndex(terminating)), []);
    // Only the pods still staying are named; with every pod leaving there is nothing to report.
    const leaving = (name: string) =>
      PODS.map((p) =>
        p.metadata.namespace === 'prod' && p.metadata.name !== name
          ? { ...p, metadata: { ...p.metadata, deletionTimestamp: gone } }
          : p,
      );
    const one = snapshot({
      namespaces: NAMESPACES,
      pods: leaving('db'),
      services: SERVICES,
      policies: [denyEgress],
    });
    assert.deepEqual(
      lintDnsEgress(buildPolicyIndex(one)).map((l) => (l.kind === 'dns-egress-blocked' ? l.pods : [])),
      [['db']],
    );
    const none = snapshot({
      namespaces: NAMESPACES,
      pods: leaving(''),
      services: SERVICES,
      policies: [denyEgress],
    });
    assert.deepEqual(lintDnsEgress(buildPolicyIndex(none)), []);
  });
  it('UDP allowed but TCP not: a warning about TCP only', () => {
    const udpOnly = policy('prod', 'dns-udp', {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [{ ports: [{ port: 53, protocol: 'UDP' }] }],
    });
    const [l] = lintDnsEgress(worldIndex([denyEgress, udpOnly]));
    assert.ok(l?.kind === 'dns-egress-blocked' && l.severity === 'warning');
    assert.deepEqual(l.deniedProtocols, ['TCP']);
  });
  it('allowing the Service IP by ipBlock does not help: policy sees the backend address', () => {
    const toSvcIp = policy('prod', 'dns-by-svc-ip', {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [
        {
          to: [{ ipBlock: { cidr: '10.96.0.10/32' } }],
          ports: [
            { port: 53, protocol: 'UDP' },
            { port: 53, protocol: 'TCP' },
          ],
        },
      ],
    });
    assert.equal(lintDnsEgress(worldIndex([denyEgress, toSvcIp])).length, 1);
  });
  it('only the pods the policy isolates are listed', () => {
    const webOnly = policy('prod', 'web-deny', {
      podSelector: { matchLabels: { app: 'web' } },
      policyTypes: ['Egress'],
    });
    const [l] = lintDnsEgress(worldIndex([webOnly]));
    assert.ok(l?.kind === 'dns-egress-blocked');
    assert.deepEqual(l.pods, ['web']);
  });
});

describe('lint: selects nothing, label typos', () => {
  it('a policy whose podSelector has a typo of an existing label', () => {
    const p = policy('prod', 'allow-web', {
      podSelector: { matchLabels: { app: 'wbe', tier: 'front' } },
      ingress: [{}],
    });
    const [l] = lintSelectsNothing(worldIndex([p]));
    assert.ok(l?.kind === 'label-typo', JSON.stringify(l));
    assert.equal(l.requirement, 'app=wbe');
    assert.equal(l.suggestion, 'app=web');
    assert.equal(l.wouldSelect, 1);
    assert.deepEqual(l.where, { at: 'podSelector' });
  });
  it('a peer with a typo (app: fronted for frontend-style)', () => {
    const p = policy('prod', 'api-in', {
      podSelector: { matchLabels: { app: 'api' } },
      ingress: [{ from: [{ podSelector: { matchLabels: { tier: 'fornt' } } }] }],
    });
    const [l] = lintSelectsNothing(worldIndex([p]));
    assert.ok(l?.kind === 'label-typo');
    assert.equal(l.suggestion, 'tier=front');
    assert.deepEqual(l.where, { at: 'peer', direction: 'ingress', rule: 0, peer: 0, field: 'podSelector' });
  });
  it('a namespaceSelector that selects no namespace, with a typo', () => {
    const p = policy('prod', 'api-in', {
      podSelector: { matchLabels: { app: 'api' } },
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { env: 'deb' } } }] }],
    });
    const [l] = lintSelectsNothing(worldIndex([p]));
    assert.ok(l?.kind === 'selects-nothing' || l?.kind === 'label-typo');
    assert.deepEqual(l.where, {
      at: 'peer',
      direction: 'ingress',
      rule: 0,
      peer: 0,
      field: 'namespaceSelector',
    });
  });
  it('plain selects-nothing (no similar label) is info', () => {
    const p = policy('prod', 'old-app', {
      podSelector: { matchLabels: { app: 'retired-batch' } },
      ingress: [{}],
    });
    const [l] = lintSelectsNothing(worldIndex([p]));
    assert.equal(l?.kind, 'selects-nothing');
    assert.equal(l?.severity, 'info');
  });
  it('selectors that select something, and ipBlocks, are quiet', () => {
    const p = policy('prod', 'fine', {
      podSelector: { matchLabels: { app: 'api' } },
      ingress: [
        {
          from: [
            { podSelector: { matchLabels: { app: 'web' } } },
            { ipBlock: { cidr: '10.0.0.0/8' } },
            { namespaceSelector: { matchLabels: { team: 'a' } } },
          ],
        },
      ],
    });
    assert.deepEqual(lintSelectsNothing(worldIndex([p])), []);
  });
});

describe('lint: unreachable namespaces', () => {
  it('default-deny ingress and nothing else', () => {
    const [l] = lintUnreachableNamespaces(
      worldIndex([policy('prod', 'deny', { podSelector: {}, policyTypes: ['Ingress'] })]),
    );
    assert.ok(l?.kind === 'namespace-unreachable');
    assert.equal(l.namespace, 'prod');
    assert.equal(l.pods, 3);
  });
  it('an allow whose peers select nothing does not count', () => {
    const deny = policy('prod', 'deny', { podSelector: {}, policyTypes: ['Ingress'] });
    const dead = policy('prod', 'dead-allow', {
      podSelector: {},
      ingress: [{ from: [{ podSelector: { matchLabels: { app: 'nope' } } }] }],
    });
    assert.equal(lintUnreachableNamespaces(worldIndex([deny, dead])).length, 1);
  });
  it('one pod reachable is enough', () => {
    const deny = policy('prod', 'deny', { podSelector: {}, policyTypes: ['Ingress'] });
    const web = policy('prod', 'web-open', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{}] });
    assert.deepEqual(lintUnreachableNamespaces(worldIndex([deny, web])), []);
  });
});

describe('lintPolicies', () => {
  it('a healthy set of policies gives nothing above info', () => {
    const policies = [
      policy('prod', 'default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }),
      allowDns,
      policy('prod', 'web-in', {
        podSelector: { matchLabels: { app: 'web' } },
        ingress: [{ ports: [{ port: 'http' }] }],
      }),
      policy('prod', 'web-to-api', {
        podSelector: { matchLabels: { app: 'web' } },
        egress: [{ to: [{ podSelector: { matchLabels: { app: 'api' } } }] }],
      }),
      policy('prod', 'api-in', {
        podSelector: { matchLabels: { app: 'api' } },
        ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }] }],
      }),
    ];
    const lints = lintPolicies(worldIndex(policies));
    assert.deepEqual(
      lints.filter((l) => l.severity !== 'info'),
      [],
    );
    assert.equal(renderLints([]), 'no policy problems found\n');
  });
  it('no policies, no lints', () => {
    assert.deepEqual(lintPolicies(worldIndex([])), []);
  });
  it('renders each kind on one line', () => {
    const text = renderLints(lintPolicies(buildPolicyIndex(worldIndex([denyEgress]).snapshot)));
    assert.match(text, /ERROR\s+dns-egress-blocked\s+namespace prod/);
  });
});
