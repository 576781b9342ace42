/**
 * NetworkPolicy and Service mistakes in the demo namespace: an allow whose selector has a typo,
 * behind a default deny, so the traffic it was written for stays blocked; a Service whose
 * selector names a label no pod carries.
 */
import { DEMO_NAMESPACE } from '../../addons/demo.ts';
import type { Shape } from '../shape.ts';

const DENY = 'web-default-deny';
const ALLOW = 'web-allow-clients';

const POLICIES = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: ${DENY}, namespace: ${DEMO_NAMESPACE}}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: ${ALLOW}, namespace: ${DEMO_NAMESPACE}}
spec:
  podSelector: {matchLabels: {app: wbe}}
  policyTypes: [Ingress]
  ingress:
  - ports: [{protocol: TCP, port: 8080}]
`;

export const POLICY_SHAPES: Shape[] = [
  {
    id: 'policy/allow-selector-typo',
    layer: 'policy',
    category: 'policy.selector-matches-nothing',
    scope: 'cluster',
    subjects: () => [{ kind: 'NetworkPolicy', name: ALLOW }],
    summary: () => `a default deny for the web pods with an allow whose podSelector says app=wbe`,
    inject: async (ctx) => {
      ctx.kubectl(['apply', '-f', '-'], POLICIES);
      return {};
    },
    heal: async (ctx) => {
      ctx.kubectl(['-n', DEMO_NAMESPACE, 'delete', 'networkpolicy', DENY, ALLOW, '--ignore-not-found']);
    },
    residue: (ctx) =>
      ctx
        .tryKubectl(['-n', DEMO_NAMESPACE, 'get', 'networkpolicy', '-o', 'name'])
        .stdout.split('\n')
        .filter((l) => l.endsWith(`/${DENY}`) || l.endsWith(`/${ALLOW}`))
        .map((l) => `${DEMO_NAMESPACE}: ${l} is still there`),
  },
];
