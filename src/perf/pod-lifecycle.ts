/**
 * The side effects of a perf run, one pod at a time: create it, wait until it is ready (a
 * server listening) or done (a client that ran its tests), read its log, delete it. Whatever
 * keeps a pod from starting (an image the node cannot pull, a sandbox the CNI cannot set up) is
 * read the way the probe runner reads it (cluster/pod-start-failure.ts) and comes back as a
 * failure with the kubelet's reason, for the caller to turn into an error row.
 */
import { classifyApiError } from '../cluster/api-error.ts';
import {
  type EventView,
  StartFailureWatch,
  startFailureOfEvents,
  startFailureOfPod,
} from '../cluster/pod-start-failure.ts';
import type { ClusterPort } from '../cluster/port.ts';
import type { K8sPod } from '../core/cluster-types.ts';
import { withTimeout } from '../core/timeout.ts';

/** Where and how pods are run. */
export interface PodEnv {
  port: ClusterPort;
  namespace: string;
  /** Pause between polls, ms. */
  pollMs: number;
  /** Budget of one API call, ms. */
  callMs: number;
}

/** How waiting for a pod ended. */
export type PodWait =
  | { status: 'ready'; pod: K8sPod; log: string }
  | { status: 'failed'; error: string; log: string };

/** What the caller waits for: `ready` ends the wait; `failed` gives up with the reason. */
export type PodCheck = (
  pod: K8sPod,
  log: () => Promise<string>,
) => Promise<'wait' | 'ready' | { failed: string }>;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The API returns a whole Pod; K8sPod declares the fields netdoctor reads. */
function podView(v: unknown): K8sPod | undefined {
  return typeof v === 'object' && v !== null && 'status' in v ? (v as K8sPod) : undefined;
}

/** Creates the pod; a refusal (forbidden, quota, admission) comes back as its reason. */
export async function createPod(env: PodEnv, manifest: object, name: string): Promise<string | undefined> {
  try {
    await withTimeout(env.port.createPod(env.namespace, manifest), env.callMs, `create pod ${name}`);
    return undefined;
  } catch (err) {
    const { reason, detail } = classifyApiError(err);
    return `pod ${env.namespace}/${name} could not be created (${reason}: ${detail})`;
  }
}

/** The container's log, or '' when it cannot be read (yet). */
export async function readLog(env: PodEnv, name: string, container: string): Promise<string> {
  try {
    return await withTimeout(
      env.port.podLog({
        namespace: env.namespace,
        pod: name,
        container,
        previous: false,
        tailLines: 100_000,
      }),
      env.callMs,
      `log of ${name}`,
    );
  } catch {
    return '';
  }
}

/** What the pod's status says about it, for an error message. */
export function podWhy(p: K8sPod | undefined): string {
  if (!p) return 'pod not found';
  const cs = p.status.containerStatuses?.[0]?.state;
  return [
    `phase ${p.status.phase ?? '?'}`,
    cs?.waiting?.reason ? `waiting: ${cs.waiting.reason}` : '',
    cs?.terminated
      ? `exited ${cs.terminated.exitCode ?? '?'}${cs.terminated.reason ? ` (${cs.terminated.reason})` : ''}`
      : '',
    p.status.reason ?? '',
  ]
    .filter(Boolean)
    .join(', ');
}

/** The last meaningful line of a log, to quote in an error. */
export function lastLine(log: string): string {
  return (
    log
      .trim()
      .split('\n')
      .filter((l) => l.trim() !== '')
      .slice(-1)[0]
      ?.slice(0, 200) ?? ''
  );
}

/**
 * Polls the pod until `check` says ready or failed, the pod cannot start, or `deadline` (epoch
 * ms) passes. Events are read only while the pod is Pending: the kubelet says why a sandbox
 * failed nowhere else.
 */
export async function waitForPod(
  env: PodEnv,
  name: string,
  container: string,
  deadline: number,
  check: PodCheck,
): Promise<PodWait> {
  const watch = new StartFailureWatch();
  let last: K8sPod | undefined;
  let events: EventView[] = [];
  let eventsAt = 0;
  const log = () => readLog(env, name, container);
  for (;;) {
    try {
      const read = await withTimeout(env.port.readPod(env.namespace, name), env.callMs, `read pod ${name}`);
      // Created before the wait began, so absent means deleted: by the run's own cleanup after
      // Ctrl-C, or by `netdoctor cleanup` from elsewhere. Nothing more will come of it.
      if (read === undefined) return { status: 'failed', error: 'the pod was deleted while it ran', log: '' };
      last = podView(read);
    } catch {
      // A slow or failed read is retried on the next poll; the deadline bounds the wait.
    }
    if (last) {
      const verdict = await check(last, log);
      if (verdict === 'ready') return { status: 'ready', pod: last, log: await log() };
      if (verdict !== 'wait') return { status: 'failed', error: verdict.failed, log: await log() };
      if (last.status.phase === 'Pending') {
        if (Date.now() - eventsAt > 2000) {
          eventsAt = Date.now();
          try {
            const listed = await withTimeout(
              env.port.list('events', { namespaces: [env.namespace] }),
              env.callMs,
              'list events',
            );
            events = listed.filter((e): e is EventView => typeof e === 'object' && e !== null);
          } catch {
            // Without events only the pod status can say why; the deadline still bounds the wait.
          }
        }
        const stuck = watch.confirm(name, startFailureOfPod(last) ?? startFailureOfEvents(name, events));
        if (stuck) {
          const why = stuck.message.split('\n', 1)[0]?.slice(0, 200) ?? '';
          return {
            status: 'failed',
            error: `cannot start: ${stuck.reason}${why ? `: ${why}` : ''}`,
            log: '',
          };
        }
      }
    }
    if (Date.now() > deadline)
      return { status: 'failed', error: `not done in time (${podWhy(last)})`, log: await log() };
    await sleep(env.pollMs);
  }
}

/** Deletes the pod; absent is fine, and a failure is left to the run's final cleanup. */
export async function deletePod(env: PodEnv, name: string): Promise<void> {
  try {
    await withTimeout(env.port.deletePod(env.namespace, name), env.callMs, `delete pod ${name}`);
  } catch {
    // The run's registered cleanup lists owned pods by label and tries again.
  }
}
