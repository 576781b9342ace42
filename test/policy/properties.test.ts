import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type {
  K8sNetworkPolicy,
  LabelSelector,
  NetworkPolicyPeer,
  NetworkPolicyPort,
} from '../../src/core/cluster-types.ts';
import { explainFlow } from '../../src/policy/explain-flow.ts';
import type { Flow, FlowExplanation } from '../../src/policy/flow-types.ts';
import { buildPolicyIndex, isolatingPolicies } from '../../src/policy/policy-index.ts';
import { policy } from './fixture.ts';
import { NAMESPACES, PODS, world } from './world.ts';

const nsName = fc.constantFrom('prod', 'dev', 'other');
const selector: fc.Arbitrary<LabelSelector> = fc.oneof(
  fc.constant({}),
  fc.record({
    matchLabels: fc.dictionary(
      fc.constantFrom('app', 'tier', 'team', 'env'),
      fc.constantFrom('web', 'api', 'db', 'client', 'front', 'a', 'dev'),
      { maxKeys: 2 },
    ),
  }),
  fc.record({
    matchExpressions: fc.array(
      fc.record({
        key: fc.constantFrom('app', 'tier', 'team'),
        operator: fc.constantFrom('In', 'NotIn', 'Exists', 'DoesNotExist'),
        values: fc.array(fc.constantFrom('web', 'api', 'front', 'a'), { minLength: 1, maxLength: 2 }),
      }),
      { maxLength: 2 },
    ),
  }),
);
const peer: fc.Arbitrary<NetworkPolicyPeer> = fc.oneof(
  fc.record({ podSelector: selector }),
  fc.record({ namespaceSelector: selector }),
  fc.record({ podSelector: selector, namespaceSelector: selector }),
  fc.record({
    ipBlock: fc.record({
      cidr: fc.constantFrom('10.244.0.0/16', '10.244.1.0/24', '0.0.0.0/0'),
      except: fc.constantFrom<string[]>([], ['10.244.1.10/32'], ['10.244.2.0/24']),
    }),
  }),
);
const port: fc.Arbitrary<NetworkPolicyPort> = fc.oneof(
  fc.record({ port: fc.constantFrom(8080, 9000, 5432, 53) }),
  fc.record({ port: fc.constantFrom('http', 'grpc', 'pg'), protocol: fc.constant('TCP' as const) }),
  fc.record({ port: fc.constant(9000), endPort: fc.constant(9100) }),
  fc.record({ protocol: fc.constantFrom('UDP' as const, 'TCP' as const) }),
);
const rule = fc.record({
  peers: fc.option(fc.array(peer, { maxLength: 3 })),
  ports: fc.option(fc.array(port, { maxLength: 2 })),
});
const netpol: fc.Arbitrary<K8sNetworkPolicy> = fc
  .record({
    ns: nsName,
    name: fc.stringMatching(/^[a-z]{3,8}$/),
    podSelector: selector,
    types: fc.option(fc.subarray(['Ingress', 'Egress'] as ('Ingress' | 'Egress')[], { minLength: 1 })),
    ingress: fc.option(fc.array(rule, { maxLength: 2 })),
    egress: fc.option(fc.array(rule, { maxLength: 2 })),
  })
  .map((p) => {
    const spec: K8sNetworkPolicy['spec'] = { podSelector: p.podSelector };
    if (p.types) spec.policyTypes = p.types;
    if (p.ingress)
      spec.ingress = p.ingress.map((r) => ({
        ...(r.peers ? { from: r.peers } : {}),
        ...(r.ports ? { ports: r.ports } : {}),
      }));
    if (p.egress)
      spec.egress = p.egress.map((r) => ({
        ...(r.peers ? { to: r.peers } : {}),
        ...(r.ports ? { ports: r.ports } : {}),
      }));
    return policy(p.ns, p.name, spec);
  });

const podNames = PODS.filter((p) => !p.spec.hostNetwork).map(
  (p) => `${p.metadata.namespace}/${p.metadata.name}`,
);
const flowArb: fc.Arbitrary<Flow> = fc
  .record({
    from: fc.constantFrom(...podNames),
    to: fc.constantFrom(...podNames),
    port: fc.constantFrom(53, 80, 5432, 8080, 9000, 9050, 50051),
    protocol: fc.constantFrom('TCP' as const, 'UDP' as const),
  })
  .map(({ from, to, port, protocol }) => {
    const [fn, fp] = from.split('/') as [string, string];
    const [tn, tp] = to.split('/') as [string, string];
    return {
      from: { kind: 'pod', namespace: fn, name: fp },
      to: { kind: 'pod', namespace: tn, name: tp },
      port,
      protocol,
    };
  });

const allowAll = NAMESPACES.map((n) =>
  policy(n.metadata.name, 'zz-allow-all', {
    podSelector: {},
    policyTypes: ['Ingress', 'Egress'],
    ingress: [{}],
    egress: [{}],
  }),
);

const verdict = (e: FlowExplanation) => e.verdict;

describe('policy evaluation properties', () => {
  it('adding an allow-all policy never denies a previously allowed flow (and allows everything)', () => {
    fc.assert(
      fc.property(fc.array(netpol, { maxLength: 6 }), flowArb, (policies, flow) => {
        const before = explainFlow(buildPolicyIndex(world(policies)), flow);
        const after = explainFlow(buildPolicyIndex(world([...policies, ...allowAll])), flow);
        assert.equal(verdict(after), 'allowed');
        if (verdict(before) === 'allowed') assert.equal(verdict(after), 'allowed');
      }),
      { numRuns: 300 },
    );
  });

  it('a pod selected by no policy of a direction is non-isolated for it', () => {
    fc.assert(
      fc.property(fc.array(netpol, { maxLength: 6 }), flowArb, (policies, flow) => {
        const index = buildPolicyIndex(world(policies));
        const e = explainFlow(index, flow);
        assert.equal(e.kind, 'direct');
        if (e.kind !== 'direct' || flow.to.kind !== 'pod') return;
        const dst = index.podByKey.get(`${flow.to.namespace}/${flow.to.name}`)!;
        if (isolatingPolicies(index, dst, 'ingress').length === 0)
          assert.equal(e.ingress.reason, 'not-isolated');
        else assert.notEqual(e.ingress.reason, 'not-isolated');
      }),
      { numRuns: 300 },
    );
  });

  it('a flow is allowed exactly when both directions allow it', () => {
    fc.assert(
      fc.property(fc.array(netpol, { maxLength: 6 }), flowArb, (policies, flow) => {
        const e = explainFlow(buildPolicyIndex(world(policies)), flow);
        if (e.kind !== 'direct') return;
        assert.equal(
          e.verdict === 'allowed',
          e.egress.verdict === 'allowed' && e.ingress.verdict === 'allowed',
        );
      }),
      { numRuns: 300 },
    );
  });

  it('the order of policies does not matter', () => {
    fc.assert(
      fc.property(fc.array(netpol, { maxLength: 6 }), flowArb, (policies, flow) => {
        const a = explainFlow(buildPolicyIndex(world(policies)), flow);
        const b = explainFlow(buildPolicyIndex(world([...policies].reverse())), flow);
        assert.equal(a.verdict, b.verdict);
      }),
      { numRuns: 200 },
    );
  });

  it('removing a policy that selects neither end never changes the verdict', () => {
    fc.assert(
      fc.property(fc.array(netpol, { minLength: 1, maxLength: 6 }), flowArb, (policies, flow) => {
        const index = buildPolicyIndex(world(policies));
        const src = index.podByKey.get(
          flow.from.kind === 'pod' ? `${flow.from.namespace}/${flow.from.name}` : '',
        )!;
        const dst = index.podByKey.get(flow.to.kind === 'pod' ? `${flow.to.namespace}/${flow.to.name}` : '')!;
        const relevant = new Set([
          ...isolatingPolicies(index, src, 'egress').map((p) => p.source),
          ...isolatingPolicies(index, dst, 'ingress').map((p) => p.source),
        ]);
        const kept = policies.filter((p) => relevant.has(p));
        assert.equal(
          explainFlow(buildPolicyIndex(world(kept)), flow).verdict,
          explainFlow(index, flow).verdict,
        );
      }),
      { numRuns: 200 },
    );
  });
});
