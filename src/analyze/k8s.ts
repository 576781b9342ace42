import type { ContainerStatus, K8sPod, K8sService } from '../core/cluster-types.ts';
import { selectorMatches } from '../core/labels.ts';
import type { Snapshot } from '../core/model.ts';
import { podKey, type SnapshotIndex } from './snapshot-index.ts';

/** How a pod is doing, as the rules about system pods see it. */
export type PodHealth =
  | { state: 'ok' }
  | { state: 'crashloop'; container: string; restarts: number; reason: string }
  | { state: 'flapping'; container: string; restarts: number; lastExit: string }
  | { state: 'pending'; reason: string }
  | { state: 'failed'; reason: string }
  | { state: 'not-ready'; reason: string };

/** A container restarted this often, the last time this recently, is flapping even if Ready now. */
const FLAP_RESTARTS = 3;
const FLAP_WINDOW_MS = 30 * 60 * 1000;

function lastExit(cs: ContainerStatus): string {
  const t = cs.lastState?.terminated;
  if (!t) return 'unknown';
  return [t.reason, t.exitCode !== undefined ? `exit code ${t.exitCode}` : undefined]
    .filter(Boolean)
    .join(', ');
}

/**
 * Classifies a pod. A container that restarted once long ago and is Ready is `ok`; only a
 * CrashLoopBackOff, repeated recent restarts, or failing readiness count.
 */
export function podHealth(pod: K8sPod, now: number): PodHealth {
  const phase = pod.status.phase;
  if (phase === 'Pending') {
    const waiting = pod.status.containerStatuses?.find((c) => c.state?.waiting)?.state?.waiting?.reason;
    return { state: 'pending', reason: waiting ?? pod.status.reason ?? 'Pending' };
  }
  if (phase === 'Failed' || phase === 'Unknown')
    return { state: 'failed', reason: pod.status.reason ?? phase };
  for (const cs of pod.status.containerStatuses ?? []) {
    const waiting = cs.state?.waiting?.reason;
    if (waiting === 'CrashLoopBackOff' || (waiting === 'RunContainerError' && cs.restartCount > 0)) {
      return { state: 'crashloop', container: cs.name, restarts: cs.restartCount, reason: lastExit(cs) };
    }
    if (!cs.ready && cs.restartCount >= FLAP_RESTARTS && cs.lastState?.terminated) {
      return { state: 'crashloop', container: cs.name, restarts: cs.restartCount, reason: lastExit(cs) };
    }
  }
  for (const cs of pod.status.containerStatuses ?? []) {
    if (!cs.ready) {
      const reason =
        cs.state?.waiting?.reason ?? (cs.state?.running ? 'readiness probe failing' : 'not running');
      return { state: 'not-ready', reason: `${cs.name}: ${reason}` };
    }
  }
  const ready = pod.status.conditions?.find((c) => c.type === 'Ready');
  if (ready && ready.status !== 'True') return { state: 'not-ready', reason: ready.reason ?? 'Ready=False' };
  for (const cs of pod.status.containerStatuses ?? []) {
    const finished = cs.lastState?.terminated?.finishedAt;
    if (cs.restartCount >= FLAP_RESTARTS && finished && now - Date.parse(finished) < FLAP_WINDOW_MS) {
      return { state: 'flapping', container: cs.name, restarts: cs.restartCount, lastExit: lastExit(cs) };
    }
  }
  return { state: 'ok' };
}

export function describeHealth(h: PodHealth): string {
  switch (h.state) {
    case 'ok':
      return 'Running and Ready';
    case 'crashloop':
      return `CrashLoopBackOff (${h.container}, ${h.restarts} restarts, last exit: ${h.reason})`;
    case 'flapping':
      return `restarting (${h.container}, ${h.restarts} restarts, last exit ${h.lastExit})`;
    case 'pending':
      return `Pending (${h.reason})`;
    case 'failed':
      return `Failed (${h.reason})`;
    case 'not-ready':
      return `not Ready (${h.reason})`;
  }
}

export { type FlannelNetConf, flannelNetConf } from '../cni/flannel.ts';

/** The reference time of a snapshot: when it was taken. */
export function snapshotTime(s: Snapshot): number {
  const t = Date.parse(s.meta.createdAt);
  return Number.isNaN(t) ? Date.now() : t;
}

/** `2026-11-22T10:00:00.123456789Z ` (kubelet's prefix with timestamps=true). */
const LOG_TIMESTAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d) /;

/** One log line split into the kubelet's receive time (when collected with timestamps) and its text. */
export function splitLogLine(line: string): { time?: number; text: string } {
  const m = LOG_TIMESTAMP.exec(line);
  if (!m) return { text: line };
  // Date.parse reads at most milliseconds; the kubelet writes nanoseconds.
  const time = Date.parse(`${m[1]}${(m[2] ?? '').slice(0, 4)}${m[3]}`);
  return Number.isNaN(time) ? { text: line } : { time, text: line.slice(m[0].length) };
}

/**
 * The pod's current logs, all containers (or the one named), from `<ns>/<pod>/<container>`,
 * with the timestamp prefixes removed so rules match the program's own text. `withinMs` keeps
 * only lines received that long before the snapshot was taken: an error logged during an outage
 * that is over must not raise it again. Lines without a timestamp (bundles collected without
 * them) are all kept.
 */
export function podLogs(
  s: Snapshot,
  pod: K8sPod,
  opts: { previous?: boolean; container?: string; withinMs?: number } = {},
): string[] {
  const out: string[] = [];
  const key = podKey(pod);
  const since = opts.withinMs === undefined ? undefined : snapshotTime(s) - opts.withinMs;
  for (const c of pod.spec.containers) {
    if (opts.container && c.name !== opts.container) continue;
    const text = s.cluster.logs[`${key}/${c.name}${opts.previous ? '/previous' : ''}`];
    if (!text) continue;
    const lines: string[] = [];
    for (const line of text.split('\n')) {
      const { time, text: rest } = splitLogLine(line);
      if (since !== undefined && time !== undefined && time < since) continue;
      lines.push(rest);
    }
    const kept = lines.join('\n');
    if (kept.trim() !== '') out.push(kept);
  }
  return out;
}

export function podEvidenceSource(pod: K8sPod): string {
  return `cluster/pods.json#${podKey(pod)}`;
}

export function logSource(pod: K8sPod, container?: string, previous = false): string {
  const c = container ?? pod.spec.containers[0]?.name ?? 'main';
  return `logs/${pod.metadata.namespace ?? 'default'}/${pod.metadata.name}/${c}${previous ? '.previous' : ''}.log`;
}

/** Pods a Service's selector picks, through the label index (never a scan of every pod). */
export function podsSelectedByService(svc: K8sService, index: SnapshotIndex): K8sPod[] {
  const sel = svc.spec.selector;
  if (!sel) return [];
  const entries = Object.entries(sel);
  if (entries.length === 0) return [];
  const ns = svc.metadata.namespace ?? 'default';
  let smallest: K8sPod[] | undefined;
  for (const [k, v] of entries) {
    const bucket = index.podsByLabel.get(`${k}=${v}`);
    if (!bucket) return [];
    if (!smallest || bucket.length < smallest.length) smallest = bucket;
  }
  return (smallest ?? []).filter(
    (p) =>
      (p.metadata.namespace ?? 'default') === ns && selectorMatches({ matchLabels: sel }, p.metadata.labels),
  );
}

/** Whether a Deployment deliberately scaled to zero owns this Service's pods. */
export function scaledToZero(svc: K8sService, s: Snapshot): boolean {
  const sel = svc.spec.selector;
  if (!sel) return false;
  const ns = svc.metadata.namespace ?? 'default';
  return s.cluster.deployments.some(
    (d) =>
      (d.metadata.namespace ?? 'default') === ns &&
      d.spec.replicas === 0 &&
      Object.keys(d.spec.selector.matchLabels ?? {}).length > 0 &&
      Object.entries(d.spec.selector.matchLabels ?? {}).every(([k, v]) => sel[k] === v),
  );
}

export function isPodReady(p: K8sPod): boolean {
  if (p.status.phase !== 'Running') return false;
  const ready = p.status.conditions?.find((c) => c.type === 'Ready');
  if (ready) return ready.status === 'True';
  const cs = p.status.containerStatuses ?? [];
  return cs.length > 0 && cs.every((c) => c.ready);
}

/**
 * How long a container that has just started may take to pass its readiness probe before "not
 * ready" says anything: every rollout has such pods for a while, and a Service served only by
 * them (a one-replica Deployment being replaced, a controller checking its own Service on its
 * first round) is starting, not broken.
 */
export const STARTUP_GRACE_MS = 60_000;

/**
 * A pod still starting up: Running, every container running since less than
 * {@link STARTUP_GRACE_MS} before the snapshot and never restarted. A restart, a waiting
 * container or an older start is never "starting".
 */
export function isStarting(p: K8sPod, now: number): boolean {
  if (p.status.phase !== 'Running') return false;
  const cs = p.status.containerStatuses ?? [];
  return (
    cs.length > 0 &&
    cs.every((c) => {
      const started = Date.parse(c.state?.running?.startedAt ?? '');
      return c.restartCount === 0 && !Number.isNaN(started) && now - started < STARTUP_GRACE_MS;
    })
  );
}

/** Whether a node's Ready condition holds. */
export function nodeIsReady(index: SnapshotIndex, name: string): boolean {
  const cond = index.nodeByName.get(name)?.status.conditions?.find((c) => c.type === 'Ready');
  return cond?.status === 'True';
}

/** Whether the snapshot recorded a gap for a collector whose name contains `part`. */
export function hasGap(s: Snapshot, part: string): boolean {
  const p = part.toLowerCase();
  return s.gaps.some((g) => g.collector.toLowerCase().includes(p));
}
