/** Seed 001 CoreDNS step: rollout restart of the CoreDNS Deployment, verified by its rollout. */
import type { Snapshot } from '../../core/model.ts';
import { applyRestart, type RolloutTarget, restartChange, targetExists, verifyRollout } from '../rollout.ts';
import type { RepairStep } from '../step.ts';
import { basePlan, planned, runUndo } from '../step-kit.ts';

/** What apply needs: the CoreDNS Deployment to roll out. */
type Params = { target: RolloutTarget };

/** The cluster DNS Deployment (CoreDNS) in the snapshot. */
export function corednsDeployment(snapshot: Snapshot): RolloutTarget | undefined {
  const d = snapshot.cluster.deployments.find(
    (x) =>
      x.metadata.namespace === 'kube-system' &&
      (x.metadata.name === 'coredns' || x.spec.selector.matchLabels?.['k8s-app'] === 'kube-dns'),
  );
  return d ? { kind: 'Deployment', namespace: 'kube-system', name: d.metadata.name } : undefined;
}

export const restartCoredns: RepairStep<Params> = {
  id: 'restart-coredns',
  title: 'Restart CoreDNS',
  phase: 'coredns',
  order: 50,
  handles: ['dns.coredns-not-ready', 'dns.service-no-endpoints'],
  plan(input) {
    const t = corednsDeployment(input.snapshot);
    if (!t) return { status: 'refused', reason: 'no CoreDNS Deployment in kube-system in the snapshot' };
    const plan = basePlan(restartCoredns, input);
    const d = input.snapshot.cluster.deployments.find(
      (x) => x.metadata.name === t.name && x.metadata.namespace === t.namespace,
    );
    plan.objectChanges.push(restartChange(t, d, 'new CoreDNS pods start on a repaired network'));
    const params: Params = { target: t };
    plan.verification = `Deployment ${t.namespace}/${t.name} rolls out: every replica updated and Ready`;
    plan.rollback = "put the pod template's restartedAt annotation back as it was";
    return planned(plan, params);
  },
  preconditions(plan) {
    const t = plan.params.target;
    return [targetExists(t)];
  },
  async apply(exec, plan) {
    const r = await applyRestart(exec, plan.params.target, new Date());
    return { status: 'applied', step: plan.step, actions: [r.action], undo: [r.undo], facts: {} };
  },
  verify: (exec, _record, plan) => verifyRollout(exec, plan.params.target),
  rollback: runUndo,
};
