/**
 * Seed 001 CoreDNS step, with consent only (--allow-upstream-change): point CoreDNS's `forward`
 * back at the node's resolv.conf, then restart it. The old Corefile is recorded for rollback.
 */
import { applyRestart, type RolloutTarget, verifyRollout } from '../rollout.ts';
import type { AppliedAction, RepairStep, UndoAction } from '../step.ts';
import { basePlan, planned, runUndo, toYaml } from '../step-kit.ts';
import { corednsDeployment } from './restart-coredns.ts';

/** What apply needs: the CoreDNS Deployment to roll out. */
type Params = { target: RolloutTarget };

export function fixForward(corefile: string): string {
  return corefile.replace(/^(\s*forward\s+\.\s+)[^{\n]*?(\s*\{?)$/m, '$1/etc/resolv.conf$2');
}

export const fixCorednsUpstream: RepairStep<Params> = {
  id: 'fix-coredns-upstream',
  title: "Point CoreDNS's forward back at the node resolver (consent needed)",
  phase: 'coredns',
  order: 51,
  handles: ['dns.upstream-unreachable'],
  plan(input) {
    const cm = input.snapshot.cluster.configMaps.find(
      (c) => c.metadata.namespace === 'kube-system' && c.metadata.name === 'coredns',
    );
    const corefile = cm?.data?.['Corefile'];
    const d = corednsDeployment(input.snapshot);
    if (!corefile || !d)
      return { status: 'refused', reason: 'no CoreDNS ConfigMap or Deployment in the snapshot' };
    const fixed = fixForward(corefile);
    if (!input.options.allowUpstreamChange) {
      return {
        status: 'refused',
        reason: 'changing the CoreDNS upstream needs explicit consent: --allow-upstream-change',
        manualCommands: [
          'netdoctor fix --allow-upstream-change',
          'kubectl -n kube-system edit configmap coredns',
        ],
      };
    }
    if (fixed === corefile)
      return { status: 'nothing-to-do', reason: 'the Corefile already forwards to /etc/resolv.conf' };
    const plan = basePlan(fixCorednsUpstream, input);
    plan.objectChanges.push({
      kind: 'ConfigMap',
      namespace: 'kube-system',
      name: 'coredns',
      action: 'patch',
      patch: { data: { Corefile: fixed } },
      patchType: 'merge',
      before: toYaml({ data: { Corefile: corefile } }),
      after: toYaml({ data: { Corefile: fixed } }),
      why: 'forward to the resolvers the nodes use',
    });
    const params: Params = { target: d };
    plan.verification = 'CoreDNS rolls out with the new Corefile; every replica Ready';
    plan.rollback = 'restore the recorded Corefile and the restartedAt annotation';
    return planned(plan, params);
  },
  preconditions: () => [],
  async apply(exec, plan) {
    const actions: AppliedAction[] = [];
    const undo: UndoAction[] = [];
    const cm = (await exec.port.readObject('ConfigMap', 'kube-system', 'coredns')) as
      | { data?: Record<string, string> }
      | undefined;
    const old = cm?.data?.['Corefile'];
    if (old === undefined) throw new Error('ConfigMap kube-system/coredns has no Corefile');
    await exec.port.patchObject(
      'ConfigMap',
      'kube-system',
      'coredns',
      { data: { Corefile: fixForward(old) } },
      'merge',
    );
    undo.push({
      type: 'patch',
      kind: 'ConfigMap',
      namespace: 'kube-system',
      name: 'coredns',
      patch: { data: { Corefile: old } },
      patchType: 'merge',
    });
    actions.push({
      target: 'ConfigMap kube-system/coredns',
      command: 'patch Corefile forward',
      before: old,
      after: fixForward(old),
      result: 'patched',
    });
    const r = await applyRestart(exec, plan.params.target, new Date());
    actions.push(r.action);
    undo.push(r.undo);
    return { status: 'applied', step: plan.step, actions, undo, facts: {} };
  },
  verify: (exec, _r, plan) => verifyRollout(exec, plan.params.target),
  rollback: runUndo,
};
