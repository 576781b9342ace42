/**
 * A ClusterPort whose lists come from informers (client-node's ListWatch): the first list of a
 * kind starts a watch, and every later list is read from its cache, so a controller diagnosing
 * every minute costs the API server one list per kind and a stream of changes, not a full list
 * of every kind every round. Everything else (logs, netdoctor's own pods) goes to the port it
 * wraps.
 *
 * A cache is served only while its watch is healthy. When a watch fails (a forbidden verb, an
 * API server restart) the list is read directly, as without informers, and the watch is
 * restarted after a pause: an outdated cache is never served as the cluster's state.
 */
import { type KubeConfig, type KubernetesObject, ListWatch, Watch } from '@kubernetes/client-node';
import type { KubePort } from './kube-port.ts';
import type { ClusterPort, ListKind, LogRequest } from './port.ts';

/** The API path each watched kind is listed and watched at; events change too fast to cache. */
const PATHS: Readonly<
  Record<Exclude<ListKind, 'events'>, { group: string; resource: string; namespaced: boolean }>
> = {
  nodes: { group: '/api/v1', resource: 'nodes', namespaced: false },
  namespaces: { group: '/api/v1', resource: 'namespaces', namespaced: false },
  pods: { group: '/api/v1', resource: 'pods', namespaced: true },
  services: { group: '/api/v1', resource: 'services', namespaced: true },
  endpointSlices: { group: '/apis/discovery.k8s.io/v1', resource: 'endpointslices', namespaced: true },
  daemonSets: { group: '/apis/apps/v1', resource: 'daemonsets', namespaced: true },
  deployments: { group: '/apis/apps/v1', resource: 'deployments', namespaced: true },
  configMaps: { group: '/api/v1', resource: 'configmaps', namespaced: true },
  networkPolicies: { group: '/apis/networking.k8s.io/v1', resource: 'networkpolicies', namespaced: true },
};

/** The kinds kept by informers (the chart grants `watch` on exactly these). */
export const WATCHED_KINDS: readonly ListKind[] = Object.keys(PATHS) as (keyof typeof PATHS)[];

/** How long a failed watch waits before it starts again. */
const RESTART_MS = 10_000;

/**
 * One kind (in one namespace, or all), kept by a ListWatch. A watch that failed is replaced by a
 * new one, which lists afresh: the cache is healthy again only once a list has succeeded.
 */
class WatchedList {
  readonly #kc: KubeConfig;
  readonly #path: string;
  readonly #list: () => Promise<{ items: unknown[]; resourceVersion: string }>;
  readonly #log: (m: string) => void;
  #informer: ListWatch<KubernetesObject> | undefined;
  #healthy = false;
  #starting: Promise<void> | undefined;
  #restart: NodeJS.Timeout | undefined;
  #stopped = false;
  /** A failure is logged once until the watch is back, not on every restart. */
  #failing = false;

  constructor(
    kc: KubeConfig,
    path: string,
    list: () => Promise<{ items: unknown[]; resourceVersion: string }>,
    log: (m: string) => void,
  ) {
    this.#kc = kc;
    this.#path = path;
    this.#list = list;
    this.#log = log;
  }

  /** The cached objects, or undefined when there is no healthy cache to serve. */
  async items(): Promise<unknown[] | undefined> {
    if (this.#informer === undefined) await this.#start();
    else if (this.#starting) await this.#starting;
    return this.#healthy && this.#informer ? [...this.#informer.list()] : undefined;
  }

  #start(): Promise<void> {
    this.#restart = undefined;
    if (this.#stopped) return Promise.resolve();
    const informer = new ListWatch<KubernetesObject>(
      this.#path,
      new Watch(this.#kc),
      async () => {
        const l = await this.#list();
        for (const o of l.items) trim(o as KubernetesObject);
        if (this.#informer === informer) this.#healthy = true;
        if (this.#failing) this.#log(`watch of ${this.#path} is back`);
        this.#failing = false;
        return { items: l.items as KubernetesObject[], metadata: { resourceVersion: l.resourceVersion } };
      },
      false,
    );
    // Kept objects carry no managedFields: nothing reads them, and at 150,000 pods they double
    // the cache. The callbacks run on the object the cache holds.
    informer.on('add', trim);
    informer.on('update', trim);
    informer.on('error', (err: unknown) => {
      if (this.#informer !== informer) return;
      this.#healthy = false;
      if (!this.#failing)
        this.#log(
          `watch of ${this.#path} failed (${errorText(err)}); lists are read directly until it is back`,
        );
      this.#failing = true;
      if (!this.#stopped) this.#restart ??= setTimeout(() => void this.#start(), RESTART_MS).unref();
    });
    this.#informer = informer;
    this.#healthy = false;
    this.#starting = informer.start().finally(() => {
      this.#starting = undefined;
    });
    return this.#starting;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#restart) clearTimeout(this.#restart);
    await this.#informer?.stop();
  }
}

function trim(o: KubernetesObject): void {
  if (o.metadata?.managedFields !== undefined) delete o.metadata.managedFields;
}

function errorText(err: unknown): string {
  const e = err as { statusCode?: number; code?: number; message?: string };
  return `${e.statusCode ?? e.code ?? ''} ${e.message ?? String(err)}`.trim();
}

export class WatchedPort implements ClusterPort {
  readonly target: ClusterPort['target'];
  readonly #inner: KubePort;
  readonly #kc: KubeConfig;
  readonly #log: (m: string) => void;
  readonly #lists = new Map<string, WatchedList>();

  constructor(inner: KubePort, kc: KubeConfig, log: (m: string) => void) {
    this.#inner = inner;
    this.#kc = kc;
    this.#log = log;
    this.target = inner.target;
  }

  async list(kind: ListKind, opts: { namespaces?: string[] } = {}): Promise<unknown[]> {
    if (kind === 'events') return this.#inner.list(kind, opts);
    const where = PATHS[kind];
    const scopes = opts.namespaces && where.namespaced ? opts.namespaces : [undefined];
    const per = await Promise.all(scopes.map((ns) => this.#watched(kind, ns).items()));
    // Any scope without a healthy cache: the whole list is read as without informers.
    if (per.some((p) => p === undefined)) return this.#inner.list(kind, opts);
    return per.flatMap((p) => p ?? []);
  }

  #watched(kind: Exclude<ListKind, 'events'>, namespace: string | undefined): WatchedList {
    const key = `${kind}/${namespace ?? '*'}`;
    let w = this.#lists.get(key);
    if (!w) {
      const { group, resource } = PATHS[kind];
      const path =
        namespace === undefined ? `${group}/${resource}` : `${group}/namespaces/${namespace}/${resource}`;
      w = new WatchedList(this.#kc, path, () => this.#inner.listForWatch(kind, namespace), this.#log);
      this.#lists.set(key, w);
    }
    return w;
  }

  /** Stops every watch. */
  async stop(): Promise<void> {
    await Promise.all([...this.#lists.values()].map((w) => w.stop()));
  }

  serverVersion(): Promise<string> {
    return this.#inner.serverVersion();
  }
  podLog(req: LogRequest): Promise<string> {
    return this.#inner.podLog(req);
  }
  createPod(namespace: string, pod: object): Promise<void> {
    return this.#inner.createPod(namespace, pod);
  }
  readPod(namespace: string, name: string): Promise<unknown | undefined> {
    return this.#inner.readPod(namespace, name);
  }
  listPods(namespace: string | undefined, labelSelector: string): Promise<unknown[]> {
    return this.#inner.listPods(namespace, labelSelector);
  }
  deletePod(namespace: string, name: string, opts?: { graceSeconds?: number }): Promise<void> {
    return this.#inner.deletePod(namespace, name, opts);
  }
  createService(namespace: string, service: object): Promise<unknown> {
    return this.#inner.createService(namespace, service);
  }
  listServices(namespace: string | undefined, labelSelector: string): Promise<unknown[]> {
    return this.#inner.listServices(namespace, labelSelector);
  }
  deleteService(namespace: string, name: string): Promise<void> {
    return this.#inner.deleteService(namespace, name);
  }
}
