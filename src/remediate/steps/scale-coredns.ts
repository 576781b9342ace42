/**
 * CoreDNS step: a CoreDNS Deployment scaled to 0 replicas has no pod to restart; it needs its
 * replicas back. The count comes from the Deployment's last applied configuration when that
 * says more than 0, else kubeadm's default of 2. Rollback scales it back to what it was.
 */
import type { K8sDeployment } from '../../core/cluster-types.ts';
import type { Snapshot } from '../../core/model.ts';
import { type RolloutTarget, targetExists, verifyRollout } from '../rollout.ts';
import type { RepairStep } from '../step.ts';
import { basePlan, planned, runUndo, toYaml } from '../step-kit.ts';
import { corednsDeployment } from './restart-coredns.ts';

/** What apply needs: the CoreDNS Deployment and its replica count. */
type Params = { target: RolloutTarget; replicas: number };

/** kubeadm's CoreDNS replica count. */
const DEFAULT_REPLICAS = 2;
const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

/** The replica count to give back: what the last `kubectl apply` set, when that was more than 0. */
export function replicasToRestore(d: Pick<K8sDeployment, 'metadata'>): number {
  const raw = d.metadata.annotations?.[LAST_APPLIED];
  if (raw) {
    try {
      const n = (JSON.parse(raw) as { spec?: { replicas?: unknown } }).spec?.replicas;
      if (typeof n === 'number' && Number.isInteger(n) && n > 0) return n;
    } catch {
      // A garbled annotation: the default count.
    }
  }
  return DEFAULT_REPLICAS;
}

function deploymentOf(snapshot: Snapshot, t: RolloutTarget): K8sDeployment | undefined {
  return snapshot.cluster.deployments.find(
    (x) => x.metadata.name === t.name && x.metadata.namespace === t.namespace,
  );
}

function replicasOf(obj: unknown): number | undefined {
  const n = (obj as { spec?: { replicas?: unknown } } | undefined)?.spec?.replicas;
  return typeof n === 'number' ? n : undefined;
}

export const scaleCoredns: RepairStep<Params> = {
  id: 'scale-coredns',
  title: 'Give CoreDNS its replicas back',
  phase: 'coredns',
  order: 49,
  handles: ['dns.coredns-not-ready'],
  plan(input) {
    const t = corednsDeployment(input.snapshot);
    const d = t ? deploymentOf(input.snapshot, t) : undefined;
    if (!t || !d)
      return { status: 'refused', reason: 'no CoreDNS Deployment in kube-system in the snapshot' };
    if (d.spec.replicas !== 0)
      return {
        status: 'nothing-to-do',
        reason: `CoreDNS is not scaled to 0 (replicas ${d.spec.replicas ?? 1})`,
      };
    const replicas = replicasToRestore(d);
    const plan = basePlan(scaleCoredns, input);
    plan.objectChanges.push({
      kind: 'Deployment',
      namespace: t.namespace,
      name: t.name,
      action: 'patch',
      patch: { spec: { replicas } },
      patchType: 'merge',
      before: toYaml({ spec: { replicas: 0 } }),
      after: toYaml({ spec: { replicas } }),
      why: 'with 0 replicas nothing answers cluster DNS',
    });
    const params: Params = { target: t, replicas };
    plan.verification = `Deployment ${t.namespace}/${t.name} rolls out: ${replicas} replicas updated and Ready`;
    plan.rollback = 'scale it back to the replica count it had';
    return planned(plan, params);
  },
  preconditions(plan) {
    const t = plan.params.target;
    return [targetExists(t)];
  },
  async apply(exec, plan) {
    const t = plan.params.target;
    const replicas = plan.params.replicas;
    const live = await exec.port.readObject(t.kind, t.namespace, t.name);
    const old = replicasOf(live);
    // Someone scaled it up since the diagnosis: nothing to give back.
    if (old !== 0)
      return { status: 'no-op', step: plan.step, reason: `replicas are ${old ?? 'unset'} now`, facts: {} };
    await exec.port.patchObject('Deployment', t.namespace, t.name, { spec: { replicas } }, 'merge');
    return {
      status: 'applied',
      step: plan.step,
      actions: [
        {
          target: `${t.kind} ${t.namespace}/${t.name}`,
          command: `scale --replicas=${replicas}`,
          before: '0',
          after: String(replicas),
          result: 'patched',
        },
      ],
      undo: [
        {
          type: 'patch',
          kind: 'Deployment',
          namespace: t.namespace,
          name: t.name,
          patch: { spec: { replicas: 0 } },
          patchType: 'merge',
        },
      ],
      facts: { replicas },
    };
  },
  verify: (exec, _record, plan) => verifyRollout(exec, plan.params.target),
  rollback: runUndo,
};
