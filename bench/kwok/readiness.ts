/** What the API server holds, and waiting until kwok has played every fake object through. */
import { readFileSync } from 'node:fs';
import type { Api } from './api.ts';
import { BENCH_LABEL, type Sizes } from './objects.ts';
import type { Stop } from './populate.ts';

/** The kinds whose collected counts must equal the API's (pagination). */
export const KINDS = ['nodes', 'pods', 'services', 'endpointSlices', 'networkPolicies'] as const;
export type Kind = (typeof KINDS)[number];

const PATH: Record<Kind, string> = {
  nodes: '/api/v1/nodes',
  pods: '/api/v1/pods',
  services: '/api/v1/services',
  endpointSlices: '/apis/discovery.k8s.io/v1/endpointslices',
  networkPolicies: '/apis/networking.k8s.io/v1/networkpolicies',
};

/**
 * Objects of each kind in the whole cluster, from one-item pages: the server's
 * `remainingItemCount` says how many more there are without sending them.
 */
export async function countKinds(api: Api): Promise<Record<Kind, number>> {
  const out = {} as Record<Kind, number>;
  for (const k of KINDS) {
    const r = (await api.req('GET', `${PATH[k]}?limit=1`)).body as {
      items?: unknown[];
      metadata?: { remainingItemCount?: number };
    };
    out[k] = (r.items?.length ?? 0) + (r.metadata?.remainingItemCount ?? 0);
  }
  return out;
}

interface Obj {
  status?: { conditions?: { type: string; status: string }[] };
}

/**
 * Waits until every bench node is Ready and (with `pods`) every bench pod Running, polling the API server's
 * watch cache (resourceVersion=0) so the polls cost etcd nothing. Gives up after `timeoutMs`
 * and says so: the collection reads Pending pods just the same, only their status is shorter.
 * Returns the ms waited and whether everything settled.
 */
export async function waitRunning(
  api: Api,
  s: Sizes,
  stop: Stop,
  log: (line: string) => void,
  timeoutMs: number,
  pods: boolean,
): Promise<{ ms: number; settled: boolean; line: string }> {
  const t0 = performance.now();
  const sel = `labelSelector=${encodeURIComponent(`${BENCH_LABEL}=1`)}&resourceVersion=0`;
  let last = '';
  for (;;) {
    const pending = pods
      ? (
          (
            await api.req(
              'GET',
              `/api/v1/pods?${sel}&fieldSelector=${encodeURIComponent('status.phase!=Running')}`,
            )
          ).body as { items?: unknown[] }
        ).items?.length
      : 0;
    // The node list is 5,000 full objects: read only once the pods are done.
    let ready = -1;
    if (pending === 0) {
      const nodes = ((await api.req('GET', `/api/v1/nodes?${sel}`)).body as { items?: Obj[] }).items ?? [];
      ready = nodes.filter((n) =>
        n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
      ).length;
    }
    const line = `  kwok: ${pending ?? '?'} pods not Running yet${ready >= 0 ? `, ${ready}/${s.nodes} nodes Ready` : ''}`;
    if (line !== last) log(`${line} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    last = line;
    if (ready === s.nodes && pending === 0) return { ms: performance.now() - t0, settled: true, line };
    if (stop.stopped) throw new Error('interrupted');
    if (performance.now() - t0 > timeoutMs) return { ms: performance.now() - t0, settled: false, line };
    await new Promise((r) => setTimeout(r, 5_000));
  }
}

/** Idle share of all CPUs over `ms`, from /proc/stat. */
async function idleShare(ms: number): Promise<number> {
  const read = () => {
    const f = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '')
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    return { idle: (f[3] ?? 0) + (f[4] ?? 0), total: f.reduce((a, b) => a + b, 0) };
  };
  const a = read();
  await new Promise((r) => setTimeout(r, ms));
  const b = read();
  return b.total > a.total ? (b.idle - a.idle) / (b.total - a.total) : 0;
}

/**
 * Waits (at most `timeoutMs`) until the machine is at least `want` idle over 5 s: after a burst
 * of 170,000 creates the lab's controllers and kube-router are still catching up, and the
 * collection should be measured against the API server, not against their backlog. Returns the
 * idle share at the end, for the report.
 */
export async function waitQuiet(
  log: (line: string) => void,
  want = 0.5,
  timeoutMs = 180_000,
): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    const idle = await idleShare(5_000);
    if (idle >= want || performance.now() - t0 > timeoutMs) {
      log(
        `  machine ${(idle * 100).toFixed(0)}% idle after ${((performance.now() - t0) / 1000).toFixed(0)} s of waiting for quiet`,
      );
      return idle;
    }
  }
}
