/**
 * Seed 000 system step: the CNI agent owns its MASQUERADE rules and writes them at start, so the
 * agent on the node is restarted; verify re-reads the node's nat table for a MASQUERADE rule.
 */
import {
  type AgentTarget,
  agentTarget,
  deleteAgentPods,
  newPodsReady,
  restartChanges,
} from '../agent-restart.ts';
import type { RepairStep } from '../step.ts';
import { basePlan, causeNodes, cniDaemonSet, pollUntil, sh } from '../step-kit.ts';

export const restoreMasquerade: RepairStep = {
  id: 'restore-masquerade',
  title: 'Restore pod-egress MASQUERADE (restart the CNI agent that owns it)',
  phase: 'system',
  order: 13,
  handles: ['node.masquerade-missing'],
  plan(input) {
    const ds = cniDaemonSet(input.snapshot);
    if (!ds) return { status: 'refused', reason: 'no CNI agent DaemonSet to rewrite the MASQUERADE rules' };
    const nodes = causeNodes(input.causes);
    if (nodes.length === 0) return { status: 'nothing-to-do', reason: 'no node named' };
    const t = agentTarget(ds, nodes);
    const plan = basePlan(restoreMasquerade, input);
    plan.objectChanges = restartChanges(
      input.snapshot,
      t,
      'the agent rewrites its MASQUERADE rules at start',
    );
    plan.params = { target: t };
    plan.verification = `new ${t.daemonSet} pod Ready on ${nodes.join(', ')} and iptables -t nat -S shows a MASQUERADE rule there`;
    plan.rollback = 'nothing to undo: a restarted pod';
    plan.notes.push(
      'a rule inserted ahead of the CNI chain that RETURNs pod traffic is not removed; verify fails if egress stays unmasqueraded',
    );
    return { status: 'planned', plan };
  },
  preconditions: () => [],
  async apply(exec, plan) {
    const { actions, oldUids } = await deleteAgentPods(exec, plan.params['target'] as AgentTarget);
    return { status: 'applied', step: plan.step, actions, undo: [], facts: { oldUids } };
  },
  async verify(exec, record, plan) {
    const t = plan.params['target'] as AgentTarget;
    return pollUntil(exec, async () => {
      const ready = await newPodsReady(exec, t, (record.facts['oldUids'] ?? {}) as Record<string, string[]>);
      if (!ready.ok) return ready;
      for (const n of t.nodes) {
        const r = await exec.nodes.run(n, sh('iptables -t nat -S'), { hostMount: false });
        if (!/-j MASQUERADE/.test(r.stdout)) return { ok: false, reason: `no MASQUERADE rule on ${n} yet` };
      }
      return { ok: true, detail: `${ready.detail}; MASQUERADE present` };
    });
  },
  async rollback() {
    return { status: 'nothing-to-undo', detail: 'a restarted pod needs no undo' };
  },
};
