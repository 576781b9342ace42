/**
 * Seed 002 CNI-bridge step, adapted: instead of deleting cni0 and restarting the kubelet (which
 * kills every pod on the node), cni0's address is replaced by the gateway of the node's pod
 * subnet in place, so running pods keep their veths and the bridge plugin accepts cni0 again.
 */
import type { AppliedAction, RepairStep, UndoAction } from '../step.ts';
import { basePlan, causeNodes, nodeCommand, pollUntil, runUndo, sh } from '../step-kit.ts';

/** The gateway address (`.1`) of a pod subnet, with its prefix. */
export function bridgeAddress(podCidr: string): string | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(podCidr);
  if (!m) return undefined;
  return `${m[1]}.${m[2]}.${m[3]}.${Number(m[4]) + 1}/${m[5]}`;
}

const READ = "ip -4 -o addr show dev cni0 | awk '{print $4}'";

export const resetCniBridge: RepairStep = {
  id: 'reset-cni-bridge',
  title: "Reset cni0's address to the node's pod-subnet gateway",
  phase: 'cni-bridge',
  order: 20,
  handles: ['cni.bridge-address-mismatch'],
  plan(input) {
    const plan = basePlan(resetCniBridge, input);
    const targets: Record<string, string> = {};
    for (const n of causeNodes(input.causes)) {
      const cidr = input.snapshot.cluster.nodes.find((x) => x.metadata.name === n)?.spec.podCIDR;
      const want = cidr ? bridgeAddress(cidr) : undefined;
      if (!want)
        return { status: 'refused', reason: `${n} has no IPv4 podCIDR to derive cni0's address from` };
      const cur = input.snapshot.nodes[n]?.links
        ?.find((l) => l.ifname === 'cni0')
        ?.addrs.filter((a) => a.family === 'inet');
      targets[n] = want;
      plan.nodeCommands.push(
        nodeCommand(
          n,
          `ip addr flush dev cni0 && ip addr add ${want} dev cni0`,
          `cni0: ${cur?.map((a) => `${a.local}/${a.prefixlen}`).join(', ') || '?'} -> ${want}`,
        ),
      );
    }
    if (Object.keys(targets).length === 0) return { status: 'nothing-to-do', reason: 'no node named' };
    plan.params = { targets };
    plan.verification = 'cni0 carries exactly the pod-subnet gateway on each node (ip -4 addr show dev cni0)';
    plan.rollback = 'flush cni0 and put back the addresses read just before the change';
    plan.notes.push(
      'running pods keep their veths on cni0; no kubelet or containerd restart (unlike seed 002)',
    );
    return { status: 'planned', plan };
  },
  preconditions(plan) {
    return Object.keys(plan.params['targets'] as Record<string, string>).map((n) => ({
      what: `cni0 exists on ${n}`,
      async run(exec) {
        const r = await exec.nodes.run(n, sh('ip link show dev cni0'), { hostMount: false });
        return r.exitCode === 0
          ? { status: 'ok' as const }
          : { status: 'failed' as const, reason: `no cni0 on ${n}: ${r.stdout.trim()}` };
      },
    }));
  },
  async apply(exec, plan) {
    const actions: AppliedAction[] = [];
    const undo: UndoAction[] = [];
    for (const [n, want] of Object.entries(plan.params['targets'] as Record<string, string>)) {
      const before = (await exec.nodes.run(n, sh(READ), { hostMount: false })).stdout
        .trim()
        .split('\n')
        .filter(Boolean);
      if (before.length === 1 && before[0] === want) continue;
      const cmd = `ip addr flush dev cni0 && ip addr add ${want} dev cni0`;
      undo.push({
        type: 'node',
        node: n,
        argv: sh(['ip addr flush dev cni0', ...before.map((a) => `ip addr add ${a} dev cni0`)].join(' && ')),
        hostMount: false,
      });
      const r = await exec.nodes.run(n, sh(cmd), { hostMount: false });
      actions.push({
        target: `node/${n}`,
        command: cmd,
        before: before.join(', '),
        after: want,
        result: `exit ${r.exitCode}`,
      });
      if (r.exitCode !== 0) throw new Error(`${cmd} on ${n} exited ${r.exitCode}: ${r.stdout.trim()}`);
    }
    if (actions.length === 0)
      return {
        status: 'no-op',
        step: plan.step,
        reason: 'cni0 already carries the right address',
        facts: {},
      };
    return { status: 'applied', step: plan.step, actions, undo, facts: {} };
  },
  async verify(exec, _record, plan) {
    return pollUntil(exec, async () => {
      for (const [n, want] of Object.entries(plan.params['targets'] as Record<string, string>)) {
        const got = (await exec.nodes.run(n, sh(READ), { hostMount: false })).stdout.trim();
        if (got !== want)
          return { ok: false, reason: `cni0 on ${n} is ${got || '(no address)'}, want ${want}` };
      }
      return { ok: true, detail: 'cni0 carries the pod-subnet gateway' };
    });
  },
  rollback: runUndo,
};
