/**
 * Seed 002 CNI-bridge step, adapted: instead of deleting cni0 and restarting the kubelet (which
 * kills every pod on the node at once), cni0's address is replaced by the gateway of the node's
 * pod subnet in place, so the bridge plugin accepts cni0 again; then, as seed 002 does, the pods
 * on the node's pod network are recreated, because the ones wired or cut while the bridge was
 * wrong keep broken connections (CoreDNS's watch on the API server among them).
 */

import { BRIDGE_CNI } from '../../cni/index.ts';
import {
  onPodNetwork,
  type RecreatedPod,
  recreateChanges,
  recreatePodsOn,
  successorsReady,
} from '../pod-recreate.ts';
import type { AppliedAction, RepairStep, UndoAction } from '../step.ts';
import { basePlan, causeNodes, errText, nodeCommand, planned, pollUntil, runUndo, sh } from '../step-kit.ts';

/** The bridge this step resets: that of the CNI that attaches pods to one (flannel's cni0). */
const CNI_BRIDGE = BRIDGE_CNI?.repair.resettableInterface ?? '';

/** What apply needs: per node, cni0's address; and consent to recreate bare pods. */
type Params = { targets: Record<string, string>; allowBare: boolean };

/** The gateway address (`.1`) of a pod subnet, with its prefix. */
export function bridgeAddress(podCidr: string): string | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(podCidr);
  if (!m) return undefined;
  return `${m[1]}.${m[2]}.${m[3]}.${Number(m[4]) + 1}/${m[5]}`;
}

const READ = `ip -4 -o addr show dev ${CNI_BRIDGE} | awk '{print $4}'`;

export const resetCniBridge: RepairStep<Params> = {
  id: 'reset-cni-bridge',
  title: `Reset ${CNI_BRIDGE}'s address to the node's pod-subnet gateway`,
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
        return {
          status: 'refused',
          reason: `${n} has no IPv4 podCIDR to derive ${CNI_BRIDGE}'s address from`,
        };
      const cur = input.snapshot.nodes[n]?.links
        ?.find((l) => l.ifname === CNI_BRIDGE)
        ?.addrs.filter((a) => a.family === 'inet');
      targets[n] = want;
      plan.nodeCommands.push(
        nodeCommand(
          n,
          `ip addr flush dev ${CNI_BRIDGE} && ip addr add ${want} dev ${CNI_BRIDGE}`,
          `${CNI_BRIDGE}: ${cur?.map((a) => `${a.local}/${a.prefixlen}`).join(', ') || '?'} -> ${want}`,
        ),
      );
    }
    if (Object.keys(targets).length === 0) return { status: 'nothing-to-do', reason: 'no node named' };
    const allowBare = input.options.recreateBarePods;
    const pods = input.snapshot.cluster.pods.filter((p) =>
      Object.keys(targets).some((n) => onPodNetwork(p, n)),
    );
    plan.objectChanges.push(
      ...recreateChanges(
        pods,
        allowBare,
        `its network was set up or cut while ${CNI_BRIDGE} was wrong; a new pod gets a clean one`,
      ),
    );
    const bare = pods.filter((p) => !p.metadata.ownerReferences?.length);
    if (bare.length > 0 && !allowBare)
      plan.notes.push(
        `bare pods (no controller to bring them back) are left as they are: ${bare.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).join(', ')}; --recreate-bare-pods recreates them from their own spec`,
      );
    const params: Params = { targets, allowBare };
    plan.verification = `${CNI_BRIDGE} carries exactly the pod-subnet gateway on each node (ip -4 addr show dev ${CNI_BRIDGE}), and every recreated pod has a Ready successor`;
    plan.rollback = `flush ${CNI_BRIDGE} and put back the addresses read just before the change; recreated pods are not brought back as they were (their YAML is in the backups)`;
    plan.notes.push(
      'no kubelet or containerd restart; the pods on the node that use the pod network are recreated, the ones read on the node when the step runs (the list above is what the diagnosis saw)',
    );
    return planned(plan, params);
  },
  preconditions(plan) {
    return Object.keys(plan.params.targets).map((n) => ({
      what: `${CNI_BRIDGE} exists on ${n}`,
      async run(exec) {
        const r = await exec.nodes.run(n, sh(`ip link show dev ${CNI_BRIDGE}`), { hostMount: false });
        return r.exitCode === 0
          ? { status: 'ok' as const }
          : { status: 'failed' as const, reason: `no ${CNI_BRIDGE} on ${n}: ${r.stdout.trim()}` };
      },
    }));
  },
  async apply(exec, plan) {
    const actions: AppliedAction[] = [];
    const undo: UndoAction[] = [];
    for (const [n, want] of Object.entries(plan.params.targets)) {
      const before = (await exec.nodes.run(n, sh(READ), { hostMount: false })).stdout
        .trim()
        .split('\n')
        .filter(Boolean);
      if (before.length === 1 && before[0] === want) continue;
      const cmd = `ip addr flush dev ${CNI_BRIDGE} && ip addr add ${want} dev ${CNI_BRIDGE}`;
      undo.push({
        type: 'node',
        node: n,
        argv: sh(
          [
            `ip addr flush dev ${CNI_BRIDGE}`,
            ...before.map((a) => `ip addr add ${a} dev ${CNI_BRIDGE}`),
          ].join(' && '),
        ),
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
        reason: `${CNI_BRIDGE} already carries the right address`,
        facts: {},
      };
    // Only once every bridge is right: a pod recreated earlier would be wired under the old one.
    const recreated: RecreatedPod[] = [];
    const skippedBare: string[] = [];
    let recreateError: string | undefined;
    try {
      for (const n of Object.keys(plan.params.targets)) {
        const r = await recreatePodsOn(exec, n, plan.params.allowBare);
        actions.push(...r.actions);
        recreated.push(...r.recreated);
        skippedBare.push(...r.skippedBare);
      }
    } catch (err) {
      // The bridge is right by now; verify reports the pods that could not be recreated.
      recreateError = errText(err);
    }
    return {
      status: 'applied',
      step: plan.step,
      actions,
      undo,
      facts: { recreated, skippedBare, ...(recreateError ? { recreateError } : {}) },
    };
  },
  async verify(exec, record, plan) {
    const facts = record.status === 'applied' ? record.facts : {};
    if (typeof facts['recreateError'] === 'string')
      return { status: 'failed', reason: `recreating the node's pods failed: ${facts['recreateError']}` };
    const recreated = (facts['recreated'] ?? []) as RecreatedPod[];
    return pollUntil(exec, async () => {
      for (const [n, want] of Object.entries(plan.params.targets)) {
        const got = (await exec.nodes.run(n, sh(READ), { hostMount: false })).stdout.trim();
        if (got !== want)
          return { ok: false, reason: `${CNI_BRIDGE} on ${n} is ${got || '(no address)'}, want ${want}` };
      }
      const pods = await successorsReady(exec, recreated);
      if (!pods.ok) return pods;
      return { ok: true, detail: `${CNI_BRIDGE} carries the pod-subnet gateway; ${pods.detail}` };
    });
  },
  rollback: runUndo,
};
