import type { Finding } from '../../core/model.ts';
import { describeLocation } from '../../policy/lint/lint-types.ts';
import { lintSelectsNothing } from '../../policy/lint/selects-nothing.ts';
import { policyIndexFor } from '../../policy/policy-index.ts';
import { causeFinding, infoFinding } from '../finding.ts';
import type { Rule } from '../rule.ts';

/** The repair is a human edit of the selector; the step only prints the suggested patch. */
const FIX_POLICY_SELECTOR = 'fix-policy-selector';

/**
 * A policy or peer that selects nothing: an allow that never fires. When a pod label one typo
 * away exists, the allow was almost certainly meant for it, and the traffic it should admit is
 * being dropped.
 */
export const policySelectorMatchesNothing: Rule = {
  id: 'policy-selector-matches-nothing',
  layer: 'policy',
  needs: { cluster: ['networkPolicies', 'pods', 'namespaces'] },
  title: 'NetworkPolicy selectors select something',
  why: 'A selector with a typo (app: fronted for app=frontend) silently allows nothing, and the flow it was written for stays blocked.',
  appliesTo: ({ snapshot }) =>
    snapshot.cluster.networkPolicies.length === 0
      ? { applies: false, reason: 'no NetworkPolicies in the snapshot' }
      : { applies: true },
  run: ({ snapshot }) => {
    const out: Finding[] = [];
    for (const l of lintSelectsNothing(policyIndexFor(snapshot))) {
      if (l.kind !== 'selects-nothing' && l.kind !== 'label-typo') continue;
      const where = describeLocation(l.where);
      const input = {
        subject: { kind: 'NetworkPolicy' as const, namespace: l.policy.namespace, name: l.policy.name },
        detail: where,
        nextCommands: [`kubectl -n ${l.policy.namespace} get networkpolicy ${l.policy.name} -o yaml`],
      };
      const source = `cluster/networkpolicies.json#${l.policy.namespace}/${l.policy.name}`;
      if (l.kind === 'label-typo') {
        out.push(
          causeFinding(
            policySelectorMatchesNothing,
            {
              ...input,
              severity: 'warning',
              summary: `NetworkPolicy ${l.policy.namespace}/${l.policy.name}: ${where} requires ${l.requirement}, which nothing carries; ${l.suggestion} would select ${l.wouldSelect}`,
              evidence: [
                {
                  source,
                  observed: `${where} ${l.selector} selects nothing`,
                  expected: `${l.suggestion} (likely typo)`,
                },
              ],
            },
            {
              category: 'policy.selector-matches-nothing',
              confidence: 0.7,
              remediation: [FIX_POLICY_SELECTOR],
            },
          ),
        );
      } else {
        // Plain "selects nothing" is often intended (a scaled-down app); information only, no cause,
        // so a healthy cluster stays without root causes.
        out.push(
          infoFinding(policySelectorMatchesNothing, {
            ...input,
            severity: 'info',
            summary: `NetworkPolicy ${l.policy.namespace}/${l.policy.name}: ${where} ${l.selector} selects no pods`,
            evidence: [{ source, observed: `${where} ${l.selector} selects nothing` }],
          }),
        );
      }
    }
    return out;
  },
};
