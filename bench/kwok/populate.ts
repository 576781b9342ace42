/**
 * Fills the API server with the simulated cluster and takes it away again. Creation is bounded
 * (`concurrency` requests in flight) so the lab's API server stays responsive for kwok and the
 * controllers; deletion uses collection deletes where the API has them, and force-deletes pods
 * (grace 0) so nothing waits on a kubelet that does not exist.
 */
import { mapLimit } from '../../src/core/concurrency.ts';
import { type Api, idempotent, withRetry } from './api.ts';
import {
  BENCH_LABEL,
  endpointSlice,
  namespace,
  networkPolicy,
  node,
  nodeName,
  nsName,
  pod,
  podsOf,
  type Sizes,
  service,
} from './objects.ts';

const SELECTOR = `labelSelector=${encodeURIComponent(`${BENCH_LABEL}=1`)}`;

/** Stops creation between requests (Ctrl-C): the cleanup runs on what was made so far. */
export interface Stop {
  stopped: boolean;
}

type Log = (line: string) => void;

async function each(
  what: string,
  count: number,
  concurrency: number,
  stop: Stop,
  log: Log,
  fn: (i: number) => Promise<void>,
): Promise<number> {
  const t0 = performance.now();
  let done = 0;
  const step = Math.max(1, Math.ceil(count / 10));
  await mapLimit(
    Array.from({ length: count }, (_, i) => i),
    concurrency,
    async (i) => {
      if (stop.stopped) return;
      await withRetry(() => fn(i));
      done++;
      if (done % step === 0 || done === count) {
        const s = (performance.now() - t0) / 1000;
        log(`  ${what}: ${done}/${count} (${s.toFixed(1)} s, ${(done / s).toFixed(0)}/s)`);
      }
    },
  );
  if (stop.stopped) throw new Error('interrupted');
  return performance.now() - t0;
}

/** Creation time of each kind, in ms. */
export type CreateTimes = Record<string, number>;

export async function createAll(
  api: Api,
  s: Sizes,
  concurrency: number,
  stop: Stop,
  log: Log,
): Promise<CreateTimes> {
  const times: CreateTimes = {};
  const post = (path: string, body: unknown) => idempotent(api, 'POST', path, body);
  times['namespaces'] = await each('namespaces', s.namespaces, concurrency, stop, log, async (i) => {
    await post('/api/v1/namespaces', namespace(i));
    // Pod admission needs the namespace's ServiceAccount; the lab's controller would make it
    // at its own pace, the pods must not wait for that.
    await post(`/api/v1/namespaces/${nsName(i)}/serviceaccounts`, {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'default' },
    });
  });
  times['nodes'] = await each('nodes', s.nodes, concurrency, stop, log, (i) =>
    post('/api/v1/nodes', node(s, i)),
  );
  times['pods'] = await each('pods', s.pods, concurrency, stop, log, async (p) => {
    const body = pod(s, p) as { metadata: { namespace: string } };
    await post(`/api/v1/namespaces/${body.metadata.namespace}/pods`, body);
  });
  times['services'] = await each('services', s.services, concurrency, stop, log, (k) =>
    post(`/api/v1/namespaces/${nsName(k % s.namespaces)}/services`, service(s, k)),
  );
  const members = podsOf(s);
  times['endpointSlices'] = await each('endpointslices', s.services, concurrency, stop, log, (k) =>
    post(
      `/apis/discovery.k8s.io/v1/namespaces/${nsName(k % s.namespaces)}/endpointslices`,
      endpointSlice(s, k, members[k] ?? []),
    ),
  );
  times['networkPolicies'] = await each('networkpolicies', s.policies, concurrency, stop, log, (q) =>
    post(
      `/apis/networking.k8s.io/v1/namespaces/${nsName(q % s.namespaces)}/networkpolicies`,
      networkPolicy(s, q),
    ),
  );
  return times;
}

/** The names of the bench's objects of a namespaced kind that has no collection delete. */
async function namesIn(api: Api, path: string): Promise<string[]> {
  const r = await api.req('GET', `${path}?${SELECTOR}`);
  return ((r.body as { items?: { metadata: { name: string } }[] }).items ?? []).map((i) => i.metadata.name);
}

/**
 * Deletes everything the benchmark made, whatever state creation stopped in: each step runs
 * even when an earlier one failed, and the first failure is rethrown at the end.
 * `keepNamespaces` empties the namespaces but keeps them: a namespace being deleted refuses new
 * objects for minutes (the lab's namespace controller makes 20 calls a second), so a run that
 * clears an earlier one's leftovers reuses them.
 */
export async function deleteAll(
  api: Api,
  s: Sizes,
  concurrency: number,
  log: Log,
  opts: { keepNamespaces?: boolean } = {},
): Promise<void> {
  const t0 = performance.now();
  const failures: unknown[] = [];
  const step = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (err) {
      log(`  cleanup: ${what} failed: ${err instanceof Error ? err.message : String(err)}`);
      failures.push(err);
    }
  };
  const del = (path: string) => withRetry(() => idempotent(api, 'DELETE', path));
  const nss = Array.from({ length: s.namespaces }, (_, i) => nsName(i));
  const grace0 = `gracePeriodSeconds=0&${SELECTOR}`;
  // A collection delete removes its pods one after another: every namespace at once, so the
  // API server's cores are busy rather than waiting on one etcd write at a time.
  await step('pods', () =>
    mapLimit(nss, concurrency, (ns) => del(`/api/v1/namespaces/${ns}/pods?${grace0}`)),
  );
  await step('endpointslices', () =>
    mapLimit(nss, 8, (ns) => del(`/apis/discovery.k8s.io/v1/namespaces/${ns}/endpointslices?${SELECTOR}`)),
  );
  await step('networkpolicies', () =>
    mapLimit(nss, 8, (ns) => del(`/apis/networking.k8s.io/v1/namespaces/${ns}/networkpolicies?${SELECTOR}`)),
  );
  // Services have no collection delete in this API version: one by one.
  await step('services', async () => {
    const all = (
      await mapLimit(nss, 8, async (ns) =>
        (await namesIn(api, `/api/v1/namespaces/${ns}/services`).catch(() => [])).map((n) => `${ns}/${n}`),
      )
    ).flat();
    await mapLimit(all, concurrency, (k) => {
      const [ns, name] = k.split('/');
      return del(`/api/v1/namespaces/${ns}/services/${name}`);
    });
  });
  // One by one, in parallel: a collection delete takes the 5,000 nodes one after another.
  const nodes = Array.from({ length: s.nodes }, (_, i) => nodeName(i));
  await step('nodes', () => mapLimit(nodes, concurrency, (n) => del(`/api/v1/nodes/${n}`)));
  // kwok made one Lease per node; the garbage collector would remove them at its own 20 calls a
  // second, so they go here.
  await step('node leases', () =>
    mapLimit(nodes, concurrency, (n) =>
      del(`/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${n}`),
    ),
  );
  if (!opts.keepNamespaces)
    await step('namespaces', () => mapLimit(nss, 8, (ns) => del(`/api/v1/namespaces/${ns}`)));
  log(`  cleanup: requested in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  if (failures.length > 0) throw failures[0];
}

/** How many of the bench's objects are left (namespaces may take a while to finish terminating). */
export async function leftovers(api: Api): Promise<{ nodes: number; pods: number; namespaces: number }> {
  const count = async (path: string) =>
    ((await api.req('GET', `${path}?${SELECTOR}&resourceVersion=0`)).body as { items?: unknown[] }).items
      ?.length ?? 0;
  return {
    nodes: await count('/api/v1/nodes'),
    pods: await count('/api/v1/pods'),
    namespaces: await count('/api/v1/namespaces'),
  };
}
