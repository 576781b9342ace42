/**
 * Seed 001/004 CNI-agent step: a stalled or crashing agent on a node is restarted there (and only
 * there); verify waits for the new pod and re-reads the node's routes to every peer pod subnet.
 */
import type { RootCause, Snapshot } from '../../core/model.ts';
import {
  type AgentTarget,
  agentTarget,
  deleteAgentPods,
  newPodsReady,
  restartChanges,
} from '../agent-restart.ts';
import type { RepairStep } from '../step.ts';
import { basePlan, cniDaemonSet, planned, pollUntil, sh } from '../step-kit.ts';

/** What apply needs: the agent's DaemonSet and nodes; per node, the peer subnets verify expects routes to. */
type Params = { target: AgentTarget; peers: Record<string, string[]> };

/** The nodes a cause is about: a Node subject, or the node of a Pod subject. */
export function nodesOfCauses(snapshot: Snapshot, causes: RootCause[]): string[] {
  const out = new Set<string>();
  for (const c of causes) {
    if (c.subject.kind === 'Node') out.add(c.subject.name);
    else if (c.subject.kind === 'Pod') {
      const p = snapshot.cluster.pods.find(
        (x) => x.metadata.name === c.subject.name && x.metadata.namespace === c.subject.namespace,
      );
      if (p?.spec.nodeName) out.add(p.spec.nodeName);
    }
  }
  return [...out].sort();
}

/** Peer pod subnets a node must route to. */
export function peerSubnets(snapshot: Snapshot, node: string): string[] {
  return snapshot.cluster.nodes
    .filter((n) => n.metadata.name !== node)
    .map((n) => n.spec.podCIDR)
    .filter((c): c is string => typeof c === 'string');
}

export const restartCniAgent: RepairStep<Params> = {
  id: 'restart-cni-agent',
  title: 'Restart the CNI agent on the affected node',
  phase: 'cni-agent',
  order: 31,
  handles: [
    'cni.agent-stalled',
    'cni.agent-not-ready',
    'cni.routes-missing',
    'cni.config-missing',
    'overlay.fdb-missing',
  ],
  plan(input) {
    const ds = cniDaemonSet(input.snapshot);
    if (!ds)
      return {
        status: 'refused',
        reason: 'no CNI agent DaemonSet in the snapshot (reinstall-cni addresses that)',
      };
    const nodes = nodesOfCauses(input.snapshot, input.causes);
    if (nodes.length === 0) return { status: 'nothing-to-do', reason: 'no node named by the root causes' };
    const t = agentTarget(ds, nodes);
    const plan = basePlan(restartCniAgent, input);
    plan.objectChanges = restartChanges(input.snapshot, t, `restart ${t.daemonSet} on ${nodes.join(', ')}`);
    const params: Params = {
      target: t,
      peers: Object.fromEntries(nodes.map((n) => [n, peerSubnets(input.snapshot, n)])),
    };
    plan.verification = `a new ${t.daemonSet} pod is Ready on ${nodes.join(', ')}, and each node routes again to every peer pod subnet (ip -4 route)`;
    plan.rollback =
      'nothing to undo: a restarted pod is the DaemonSet’s own pod; a failed verification stops the run';
    return planned(plan, params);
  },
  preconditions(plan) {
    const t = plan.params.target;
    return [
      {
        what: `DaemonSet ${t.namespace}/${t.daemonSet} exists`,
        async run(exec) {
          return (await exec.port.readObject('DaemonSet', t.namespace, t.daemonSet))
            ? { status: 'ok' }
            : {
                status: 'failed',
                reason: `DaemonSet ${t.namespace}/${t.daemonSet} is gone: a deleted pod would not come back`,
              };
        },
      },
    ];
  },
  async apply(exec, plan) {
    const t = plan.params.target;
    const { actions, oldUids } = await deleteAgentPods(exec, t);
    return { status: 'applied', step: plan.step, actions, undo: [], facts: { oldUids } };
  },
  async verify(exec, record, plan) {
    const t = plan.params.target;
    const peers = plan.params.peers;
    const oldUids = (record.facts['oldUids'] ?? {}) as Record<string, string[]>;
    return pollUntil(exec, async () => {
      const ready = await newPodsReady(exec, t, oldUids);
      if (!ready.ok) return ready;
      const missing: string[] = [];
      for (const n of t.nodes) {
        const r = await exec.nodes.run(n, sh('ip -4 route show'), { hostMount: false });
        for (const cidr of peers[n] ?? [])
          if (!r.stdout.split('\n').some((l) => l.startsWith(`${cidr} `))) missing.push(`${n} -> ${cidr}`);
      }
      return missing.length === 0
        ? { ok: true, detail: `${ready.detail}; routes to every peer subnet present` }
        : { ok: false, reason: `routes still missing: ${missing.join(', ')}` };
    });
  },
  async rollback(_exec, record) {
    return {
      status: 'nothing-to-undo',
      detail: record.status === 'no-op' ? record.reason : 'a restarted pod needs no undo',
    };
  },
};
