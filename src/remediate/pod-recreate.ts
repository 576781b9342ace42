/**
 * Recreating the pods on a node whose network was set up, or cut, while the node's pod network
 * was broken (seed 002: after cni0 is repaired, the pods wired under the wrong bridge are
 * recreated). Fixing the node does not mend them: their routes, neighbour entries and open
 * connections (CoreDNS's watch on the API server among them) went bad with it. Pods a
 * controller owns are deleted and come back from their controller; a bare pod has no owner to
 * bring it back, so netdoctor recreates it from its own spec, only with consent. Deleting a pod
 * cannot be undone: the plan says so, and its YAML goes into the fix's backups.
 */
import { MANAGED_BY, OWNED_LABELS } from '../cluster/owned-labels.ts';
import type { K8sPod } from '../core/cluster-types.ts';
import type { AppliedAction, ObjectChange, RepairExec } from './step.ts';
import { stripServerFields, toYaml } from './step-kit.ts';

/** How long a workload pod gets to stop before it is recreated. */
const GRACE_SECONDS = 10;

/** A pod that gets its network from the node's pod network (not the host's), and is not netdoctor's. */
export function onPodNetwork(p: K8sPod, node: string): boolean {
  return (
    p.spec.nodeName === node &&
    p.spec.hostNetwork !== true &&
    p.metadata.deletionTimestamp === undefined &&
    p.metadata.labels?.[OWNED_LABELS.managedBy] !== MANAGED_BY &&
    p.status.phase !== 'Succeeded' &&
    p.status.phase !== 'Failed'
  );
}

/** The controller that brings a pod back, if any. */
export function ownerOf(p: K8sPod): { kind: string; name: string } | undefined {
  const o = p.metadata.ownerReferences?.[0];
  return o ? { kind: o.kind, name: o.name } : undefined;
}

/** The pod changes to show in a plan: each pod on the node's pod network, deleted and recreated. */
export function recreateChanges(pods: K8sPod[], allowBare: boolean, why: string): ObjectChange[] {
  return pods.flatMap((p) => {
    const owner = ownerOf(p);
    if (!owner && !allowBare) return [];
    return [
      {
        kind: 'Pod' as const,
        namespace: p.metadata.namespace ?? 'default',
        name: p.metadata.name,
        action: 'delete' as const,
        before: toYaml({ metadata: p.metadata, spec: { nodeName: p.spec.nodeName } }),
        after: owner
          ? `# recreated by ${owner.kind} ${p.metadata.namespace ?? 'default'}/${owner.name}\n`
          : '# recreated by netdoctor from its own spec (a bare pod; --recreate-bare-pods)\n',
        why,
      },
    ];
  });
}

/** One pod deleted for recreation, for verify. */
export interface RecreatedPod {
  namespace: string;
  name: string;
  uid: string;
  /** `Kind/name` of the controller that brings it back; undefined for a bare pod netdoctor recreated. */
  owner?: string;
  /**
   * The uids of the owner's other pods when this one was deleted. They are not successors: a
   * Ready replica on another node must not stand in for the one being recreated here.
   */
  siblings?: string[];
}

/** What recreating did. */
export interface Recreation {
  actions: AppliedAction[];
  recreated: RecreatedPod[];
  /** Bare pods left alone without consent, as namespace/name. */
  skippedBare: string[];
}

interface LivePod extends K8sPod {
  apiVersion?: string;
  kind?: string;
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** Deletes (and for bare pods, with consent, recreates) the pods on `node`'s pod network, read now. */
export async function recreatePodsOn(
  exec: RepairExec,
  node: string,
  allowBare: boolean,
): Promise<Recreation> {
  const out: Recreation = { actions: [], recreated: [], skippedBare: [] };
  const all = (await exec.port.listPods(undefined, '')) as LivePod[];
  const live = all.filter((p) => onPodNetwork(p, node));
  for (const p of live) {
    const ns = p.metadata.namespace ?? 'default';
    const owner = ownerOf(p);
    if (!owner && !allowBare) {
      out.skippedBare.push(`${ns}/${p.metadata.name}`);
      continue;
    }
    await exec.port.deletePod(ns, p.metadata.name, { graceSeconds: GRACE_SECONDS });
    if (!owner) {
      // Same name again: wait for the old one to be gone, then create it from its own spec.
      const deadline = Date.now() + (GRACE_SECONDS + 30) * 1000;
      while ((await exec.port.readPod(ns, p.metadata.name)) !== undefined) {
        if (Date.now() > deadline)
          throw new Error(`pod ${ns}/${p.metadata.name} did not go away after its delete`);
        await sleep(1000);
      }
      const body = stripServerFields({ apiVersion: 'v1', kind: 'Pod', metadata: p.metadata, spec: p.spec });
      await exec.port.createPod(ns, body as object);
    }
    out.actions.push({
      target: `Pod ${ns}/${p.metadata.name}`,
      command: owner
        ? `delete pod (grace ${GRACE_SECONDS}s)`
        : 'delete pod, then create it again from its spec',
      result: owner ? `deleted; ${owner.kind} ${owner.name} recreates it` : 'recreated',
    });
    const siblings = owner
      ? all
          .filter(
            (q) =>
              q.metadata.uid !== p.metadata.uid &&
              (q.metadata.namespace ?? 'default') === ns &&
              sameOwner(ownerOf(q), owner),
          )
          .map((q) => q.metadata.uid ?? '')
      : [];
    out.recreated.push({
      namespace: ns,
      name: p.metadata.name,
      uid: p.metadata.uid ?? '',
      ...(owner ? { owner: `${owner.kind}/${owner.name}`, siblings } : {}),
    });
  }
  return out;
}

const sameOwner = (a: { kind: string; name: string } | undefined, b: { kind: string; name: string }) =>
  a !== undefined && a.kind === b.kind && a.name === b.name;

const ready = (p: K8sPod) =>
  p.metadata.deletionTimestamp === undefined &&
  p.status.phase === 'Running' &&
  (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

/**
 * The owners still short of Ready successors, given the pods listed now in the recreated pods'
 * namespaces: per owner, as many new Ready pods (ones that did not exist when the pods were
 * deleted) as were deleted; a bare pod, its new self Ready under the same name.
 */
export function missingSuccessors(recreated: RecreatedPod[], podsNow: K8sPod[]): string[] {
  // Neither the deleted pods nor the replicas that were already running count as successors.
  const old = new Set(recreated.flatMap((r) => [r.uid, ...(r.siblings ?? [])]));
  const groups = new Map<string, RecreatedPod[]>();
  for (const r of recreated) {
    const k = `${r.namespace}\u0000${r.owner ?? `Pod/${r.name}`}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  const waiting: string[] = [];
  for (const [k, rs] of groups) {
    const [ns = '', owner = ''] = k.split('\u0000');
    const fresh = podsNow.filter((p) => {
      if ((p.metadata.namespace ?? 'default') !== ns || old.has(p.metadata.uid ?? '') || !ready(p))
        return false;
      const o = ownerOf(p);
      return o ? `${o.kind}/${o.name}` === owner : `Pod/${p.metadata.name}` === owner;
    });
    if (fresh.length < rs.length)
      waiting.push(`${ns} ${owner}: ${fresh.length} of ${rs.length} new pods Ready`);
  }
  return waiting;
}

/** Whether every recreated pod has a Ready successor (see {@link missingSuccessors}). */
export async function successorsReady(
  exec: RepairExec,
  recreated: RecreatedPod[],
): Promise<{ ok: true; detail: string } | { ok: false; reason: string }> {
  if (recreated.length === 0) return { ok: true, detail: 'no pod needed recreating' };
  const podsNow: K8sPod[] = [];
  for (const ns of new Set(recreated.map((r) => r.namespace)))
    podsNow.push(...((await exec.port.listPods(ns, '')) as LivePod[]));
  const waiting = missingSuccessors(recreated, podsNow);
  return waiting.length > 0
    ? { ok: false, reason: `recreated pods not Ready yet (${waiting.join('; ')})` }
    : { ok: true, detail: `${recreated.length} pods recreated and Ready` };
}
