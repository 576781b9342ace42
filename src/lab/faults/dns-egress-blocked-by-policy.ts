/**
 * Seed 003: a default-deny egress NetworkPolicy lands in a namespace with an allowance for the
 * app's own traffic but none for DNS, so every lookup from the namespace times out.
 */
import { DEMO_NAMESPACE } from '../addons/demo.ts';
import type { Fault } from './fault.ts';

export const POLICY_NAME = 'default-deny-egress';

export const dnsEgressBlockedByPolicy: Fault = {
  id: 'dns-egress-blocked-by-policy',
  summary: `default-deny egress NetworkPolicy in namespace ${DEMO_NAMESPACE} without a DNS allowance`,
  expectedRootCause: 'policy.dns-egress-blocked',
  scope: 'cluster',
  inject: async (ctx) => {
    ctx.kubectl(
      ['apply', '-f', '-'],
      `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: ${POLICY_NAME}, namespace: ${DEMO_NAMESPACE}}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to:
    - podSelector: {matchLabels: {app: web}}
    ports: [{protocol: TCP, port: 8080}]
`,
    );
    return {};
  },
  heal: async (ctx) => {
    ctx.kubectl(['-n', DEMO_NAMESPACE, 'delete', 'networkpolicy', POLICY_NAME, '--ignore-not-found']);
  },
  residue: (ctx) =>
    ctx.tryKubectl(['-n', DEMO_NAMESPACE, 'get', 'networkpolicy', POLICY_NAME]).code === 0
      ? [`NetworkPolicy ${DEMO_NAMESPACE}/${POLICY_NAME} is still there`]
      : [],
};
