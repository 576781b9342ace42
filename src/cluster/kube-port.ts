import {
  AppsV1Api,
  CoreV1Api,
  DiscoveryV1Api,
  KubeConfig,
  NetworkingV1Api,
  VersionApi,
} from '@kubernetes/client-node';
import { NetdoctorError } from '../core/errors.ts';
import type { ClusterPort, ListKind, LogRequest } from './port.ts';

/** Where to find the cluster: PRODUCT.md's `--kubeconfig` and `--context`. */
export interface KubeTarget {
  kubeconfig?: string;
  context?: string;
}

const PAGE = 500;

interface Page {
  items: unknown[];
  metadata?: { _continue?: string };
}

/**
 * Loads a kubeconfig (explicit path, $KUBECONFIG, ~/.kube/config, or in-cluster) and checks
 * it names a usable cluster; a broken one is a clear error, not a stack trace.
 */
export function loadKubeConfig(target: KubeTarget): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (target.kubeconfig) kc.loadFromFile(target.kubeconfig);
    else kc.loadFromDefault();
  } catch (err) {
    throw new NetdoctorError('kubeconfig-invalid', 'the kubeconfig could not be read', {
      cause: err,
      ...(target.kubeconfig ? { path: target.kubeconfig } : {}),
      suggestions: ['check the file is YAML with clusters, users and contexts', 'pass --kubeconfig PATH'],
    });
  }
  if (target.context) {
    if (!kc.getContexts().some((c) => c.name === target.context)) {
      throw new NetdoctorError('kubeconfig-invalid', `context "${target.context}" is not in the kubeconfig`, {
        suggestions: [
          `one of: ${
            kc
              .getContexts()
              .map((c) => c.name)
              .join(', ') || '(none)'
          }`,
        ],
      });
    }
    kc.setCurrentContext(target.context);
  }
  if (!kc.getCurrentCluster()) {
    throw new NetdoctorError('kubeconfig-invalid', 'the kubeconfig has no current cluster', {
      ...(target.kubeconfig ? { path: target.kubeconfig } : {}),
      suggestions: ['set a current-context, or pass --context NAME'],
    });
  }
  return kc;
}

/** Turns client-node's deserialised objects (Date fields) back into wire JSON. */
function wire(items: unknown[]): unknown[] {
  return JSON.parse(JSON.stringify(items)) as unknown[];
}

/** The real ClusterPort over @kubernetes/client-node. */
export class KubePort implements ClusterPort {
  readonly target: { server: string; context?: string };
  readonly #core: CoreV1Api;
  readonly #apps: AppsV1Api;
  readonly #discovery: DiscoveryV1Api;
  readonly #net: NetworkingV1Api;
  readonly #version: VersionApi;

  constructor(kc: KubeConfig) {
    const ctx = kc.getCurrentContext();
    this.target = { server: kc.getCurrentCluster()?.server ?? '(unknown)', ...(ctx ? { context: ctx } : {}) };
    this.#core = kc.makeApiClient(CoreV1Api);
    this.#apps = kc.makeApiClient(AppsV1Api);
    this.#discovery = kc.makeApiClient(DiscoveryV1Api);
    this.#net = kc.makeApiClient(NetworkingV1Api);
    this.#version = kc.makeApiClient(VersionApi);
  }

  async serverVersion(): Promise<string> {
    const v = await this.#version.getCode();
    return v.gitVersion;
  }

  async list(kind: ListKind, opts: { namespaces?: string[] } = {}): Promise<unknown[]> {
    if (opts.namespaces && kind !== 'nodes' && kind !== 'namespaces') {
      const per = await Promise.all(
        opts.namespaces.map((ns) => this.#pages((p) => this.#listIn(kind, ns, p))),
      );
      return wire(per.flat());
    }
    return wire(await this.#pages((p) => this.#listAll(kind, p)));
  }

  async podLog(req: LogRequest): Promise<string> {
    return this.#core.readNamespacedPodLog({
      namespace: req.namespace,
      name: req.pod,
      container: req.container,
      previous: req.previous,
      tailLines: req.tailLines,
    });
  }

  /** Follows `continue` tokens so a 150,000-pod list never arrives as one response. */
  async #pages(fetchPage: (p: { limit: number; _continue?: string }) => Promise<Page>): Promise<unknown[]> {
    const out: unknown[] = [];
    let token: string | undefined;
    do {
      const page = await fetchPage(token ? { limit: PAGE, _continue: token } : { limit: PAGE });
      out.push(...page.items);
      token = page.metadata?._continue || undefined;
    } while (token);
    return out;
  }

  #listAll(kind: ListKind, p: { limit: number; _continue?: string }): Promise<Page> {
    switch (kind) {
      case 'nodes':
        return this.#core.listNode(p);
      case 'namespaces':
        return this.#core.listNamespace(p);
      case 'pods':
        return this.#core.listPodForAllNamespaces(p);
      case 'services':
        return this.#core.listServiceForAllNamespaces(p);
      case 'endpointSlices':
        return this.#discovery.listEndpointSliceForAllNamespaces(p);
      case 'daemonSets':
        return this.#apps.listDaemonSetForAllNamespaces(p);
      case 'deployments':
        return this.#apps.listDeploymentForAllNamespaces(p);
      case 'configMaps':
        return this.#core.listConfigMapForAllNamespaces(p);
      case 'networkPolicies':
        return this.#net.listNetworkPolicyForAllNamespaces(p);
      case 'events':
        return this.#core.listEventForAllNamespaces(p);
    }
  }

  #listIn(kind: ListKind, namespace: string, p: { limit: number; _continue?: string }): Promise<Page> {
    const q = { ...p, namespace };
    switch (kind) {
      case 'nodes':
      case 'namespaces':
        return this.#listAll(kind, p);
      case 'pods':
        return this.#core.listNamespacedPod(q);
      case 'services':
        return this.#core.listNamespacedService(q);
      case 'endpointSlices':
        return this.#discovery.listNamespacedEndpointSlice(q);
      case 'daemonSets':
        return this.#apps.listNamespacedDaemonSet(q);
      case 'deployments':
        return this.#apps.listNamespacedDeployment(q);
      case 'configMaps':
        return this.#core.listNamespacedConfigMap(q);
      case 'networkPolicies':
        return this.#net.listNamespacedNetworkPolicy(q);
      case 'events':
        return this.#core.listNamespacedEvent(q);
    }
  }
}
