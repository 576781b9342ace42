/**
 * Seed 003 policy step, opt-in only (--emergency-allow-dns): add a policy that allows DNS egress
 * to the cluster DNS pods for every pod of the namespace. Nothing is deleted or edited; the
 * namespace's policies are backed up and the exact revert command is printed.
 */
import { analyze } from '../../analyze/engine.ts';
import type { K8sNetworkPolicy } from '../../core/cluster-types.ts';
import type { RepairStep } from '../step.ts';
import { basePlan, planned, pollUntil, runUndo, toYaml } from '../step-kit.ts';

/** What apply needs: the namespaces that get the DNS egress policy. */
type Params = { namespaces: string[] };

export const EMERGENCY_POLICY = 'netdoctor-emergency-allow-dns';

export function emergencyDnsPolicy(
  namespace: string,
): K8sNetworkPolicy & { apiVersion: string; kind: string } {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: {
      name: EMERGENCY_POLICY,
      namespace,
      labels: { 'app.kubernetes.io/managed-by': 'netdoctor', 'netdoctor.io/emergency': 'true' },
      annotations: {
        'netdoctor.io/revert': `kubectl -n ${namespace} delete networkpolicy ${EMERGENCY_POLICY}`,
      },
    },
    spec: {
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
            { protocol: 'UDP', port: 53 },
            { protocol: 'TCP', port: 53 },
          ],
        },
      ],
    },
  };
}

export function revertCommand(namespace: string): string {
  return `kubectl -n ${namespace} delete networkpolicy ${EMERGENCY_POLICY}`;
}

export const allowDnsEgress: RepairStep<Params> = {
  id: 'allow-dns-egress',
  title: 'Emergency allow of DNS egress (opt-in)',
  phase: 'policy',
  order: 60,
  handles: ['policy.dns-egress-blocked'],
  plan(input) {
    const namespaces = [
      ...new Set(
        input.causes.map(
          (c) => c.subject.namespace ?? (c.subject.kind === 'Namespace' ? c.subject.name : undefined),
        ),
      ),
    ].filter((n): n is string => n !== undefined);
    if (!input.options.emergencyAllowDns) {
      return {
        status: 'refused',
        reason: `DNS egress is blocked by NetworkPolicy in ${namespaces.join(', ')}; netdoctor changes policies only with --emergency-allow-dns (it never deletes one)`,
        manualCommands: [
          'netdoctor fix --emergency-allow-dns',
          ...namespaces.map((n) => `kubectl -n ${n} get networkpolicy -o yaml`),
        ],
      };
    }
    const plan = basePlan(allowDnsEgress, input);
    for (const ns of namespaces) {
      const body = emergencyDnsPolicy(ns);
      plan.objectChanges.push({
        kind: 'NetworkPolicy',
        namespace: ns,
        name: EMERGENCY_POLICY,
        action: 'create',
        body,
        before: '',
        after: toYaml(body),
        why: 'allow every pod of the namespace to reach cluster DNS on 53/UDP and 53/TCP',
      });
      plan.notes.push(`revert: ${revertCommand(ns)}`);
    }
    const params: Params = { namespaces };
    plan.verification =
      'the policy exists, and the DNS-egress rule re-run on the snapshot with the live policies of the namespace no longer fires';
    plan.rollback = 'delete the emergency policy this step created; existing policies are never touched';
    return planned(plan, params);
  },
  preconditions(plan) {
    return plan.params.namespaces.map((ns) => ({
      what: `no ${EMERGENCY_POLICY} in ${ns} yet`,
      async run(exec) {
        return (await exec.port.readObject('NetworkPolicy', ns, EMERGENCY_POLICY))
          ? {
              status: 'failed',
              reason: `${ns}/${EMERGENCY_POLICY} already exists (revert it first: ${revertCommand(ns)})`,
            }
          : { status: 'ok' };
      },
    }));
  },
  async apply(exec, plan) {
    const record = {
      status: 'applied' as const,
      step: plan.step,
      actions: [] as { target: string; command: string; after?: string; result: string }[],
      undo: [] as { type: 'delete'; kind: 'NetworkPolicy'; namespace: string; name: string }[],
      facts: {},
    };
    for (const ns of plan.params.namespaces) {
      const body = emergencyDnsPolicy(ns);
      await exec.port.createObject('NetworkPolicy', ns, body);
      record.undo.push({ type: 'delete', kind: 'NetworkPolicy', namespace: ns, name: EMERGENCY_POLICY });
      record.actions.push({
        target: `NetworkPolicy ${ns}/${EMERGENCY_POLICY}`,
        command: 'create',
        after: toYaml(body),
        result: `created; revert: ${revertCommand(ns)}`,
      });
    }
    return record;
  },
  async verify(exec, _record, plan) {
    const namespaces = plan.params.namespaces;
    const snapshot = exec.snapshot;
    return pollUntil(exec, async () => {
      const live = (await exec.port.list('networkPolicies', { namespaces })) as K8sNetworkPolicy[];
      if (
        !namespaces.every((ns) =>
          live.some((p) => p.metadata.namespace === ns && p.metadata.name === EMERGENCY_POLICY),
        )
      ) {
        return { ok: false, reason: 'the emergency policy is not there' };
      }
      if (!snapshot) return { ok: true, detail: 'emergency policy present' };
      const others = snapshot.cluster.networkPolicies.filter(
        (p) => !namespaces.includes(p.metadata.namespace ?? ''),
      );
      const fresh = { ...snapshot, cluster: { ...snapshot.cluster, networkPolicies: [...others, ...live] } };
      const still = analyze(fresh).rootCauses.filter((c) => c.category === 'policy.dns-egress-blocked');
      return still.length === 0
        ? { ok: true, detail: 'DNS egress rule passes with the live policies' }
        : { ok: false, reason: `DNS egress still blocked: ${still.map((c) => c.summary).join('; ')}` };
    });
  },
  rollback: runUndo,
};
