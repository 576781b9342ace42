/**
 * Restarting a DaemonSet's pod on chosen nodes (the CNI agent, kube-proxy): delete the pod, let
 * the DaemonSet recreate it, and check a new pod is Ready there. A restarted pod needs no undo.
 */
import type { K8sDaemonSet, K8sPod } from '../core/cluster-types.ts';
import type { Snapshot } from '../core/model.ts';
import type { AppliedAction, ObjectChange, RepairExec } from './step.ts';
import { selectorString, toYaml } from './step-kit.ts';

export interface AgentTarget {
  namespace: string;
  daemonSet: string;
  selector: string;
  nodes: string[];
}

export function agentTarget(ds: K8sDaemonSet, nodes: string[]): AgentTarget {
  return {
    namespace: ds.metadata.namespace ?? 'default',
    daemonSet: ds.metadata.name,
    selector: selectorString(ds.spec.selector.matchLabels),
    nodes,
  };
}

/** The pods of the DaemonSet on `node` in the snapshot. */
export function podsOn(snapshot: Snapshot, t: AgentTarget, node: string): K8sPod[] {
  return snapshot.cluster.pods.filter(
    (p) =>
      p.metadata.namespace === t.namespace &&
      p.spec.nodeName === node &&
      p.metadata.ownerReferences?.some((o) => o.kind === 'DaemonSet' && o.name === t.daemonSet),
  );
}

/** The object changes (pod deletions) to show in the plan. */
export function restartChanges(snapshot: Snapshot, t: AgentTarget, why: string): ObjectChange[] {
  return t.nodes.flatMap((n) => {
    const pods = podsOn(snapshot, t, n);
    const names = pods.length > 0 ? pods.map((p) => p.metadata.name) : [`(the ${t.daemonSet} pod on ${n})`];
    return names.map((name, i) => ({
      kind: 'Pod' as const,
      namespace: t.namespace,
      name,
      action: 'delete' as const,
      before: toYaml(pods[i] ? { metadata: pods[i].metadata, spec: { nodeName: n } } : undefined),
      after: `# recreated by DaemonSet ${t.namespace}/${t.daemonSet} on ${n}\n`,
      why,
    }));
  });
}

interface LivePod {
  metadata: { name: string; uid?: string };
  spec?: { nodeName?: string };
  status?: { phase?: string; conditions?: { type: string; status: string }[] };
}

async function livePods(exec: RepairExec, t: AgentTarget, node: string): Promise<LivePod[]> {
  return ((await exec.port.listPods(t.namespace, t.selector)) as LivePod[]).filter(
    (p) => p.spec?.nodeName === node,
  );
}

/** Deletes the agent pods on the target nodes; returns the deleted uids per node. */
export async function deleteAgentPods(
  exec: RepairExec,
  t: AgentTarget,
): Promise<{ actions: AppliedAction[]; oldUids: Record<string, string[]> }> {
  const actions: AppliedAction[] = [];
  const oldUids: Record<string, string[]> = {};
  for (const n of t.nodes) {
    const pods = await livePods(exec, t, n);
    oldUids[n] = pods.map((p) => p.metadata.uid ?? p.metadata.name);
    for (const p of pods) {
      await exec.port.deletePod(t.namespace, p.metadata.name);
      actions.push({
        target: `Pod ${t.namespace}/${p.metadata.name}`,
        command: `delete pod (node ${n})`,
        result: 'deleted',
      });
    }
  }
  return { actions, oldUids };
}

/** Whether every target node runs a new, Ready pod of the DaemonSet. */
export async function newPodsReady(
  exec: RepairExec,
  t: AgentTarget,
  oldUids: Record<string, string[]>,
): Promise<{ ok: true; detail: string } | { ok: false; reason: string }> {
  const bad: string[] = [];
  for (const n of t.nodes) {
    const pods = await livePods(exec, t, n);
    const fresh = pods.filter((p) => !(oldUids[n] ?? []).includes(p.metadata.uid ?? p.metadata.name));
    const ready = fresh.some((p) =>
      p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
    );
    if (!ready)
      bad.push(
        `${n}: ${fresh.length === 0 ? 'no new pod yet' : `new pod ${fresh[0]?.metadata.name} not Ready`}`,
      );
  }
  return bad.length === 0
    ? { ok: true, detail: `new ${t.daemonSet} pod Ready on ${t.nodes.join(', ')}` }
    : { ok: false, reason: bad.join('; ') };
}
