import type { PolicyIndex } from '../policy-index.ts';
import { lintDnsEgress } from './dns-egress.ts';
import type { PolicyLint } from './lint-types.ts';
import { lintSelectsNothing } from './selects-nothing.ts';
import { lintUnreachableNamespaces } from './unreachable-namespaces.ts';

/** Every policy lint, in the order `netdoctor policy lint` lists them. */
export const POLICY_LINTS: { id: string; run: (index: PolicyIndex) => PolicyLint[] }[] = [
  { id: 'dns-egress-blocked', run: lintDnsEgress },
  { id: 'namespace-unreachable', run: lintUnreachableNamespaces },
  { id: 'selects-nothing', run: lintSelectsNothing },
];

export function lintPolicies(index: PolicyIndex): PolicyLint[] {
  return POLICY_LINTS.flatMap((l) => l.run(index));
}
