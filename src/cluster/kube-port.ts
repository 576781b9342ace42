import type { V1DaemonSet, V1NetworkPolicy, V1Pod, V1Service } from '@kubernetes/client-node';
import {
  AppsV1Api,
  CoreV1Api,
  DiscoveryV1Api,
  KubeConfig,
  NetworkingV1Api,
  PatchStrategy,
  setHeaderOptions,
  VersionApi,
} from '@kubernetes/client-node';
import { ObjectSerializer } from '@kubernetes/client-node/dist/gen/models/ObjectSerializer.js';
import { NetdoctorError } from '../core/errors.ts';
import type { ListKind, LogRequest, PatchType, RepairKind, RepairPort } from './port.ts';

/** Where to find the cluster: PRODUCT.md's `--kubeconfig` and `--context`. */
export interface KubeTarget {
  kubeconfig?: string;
  context?: string;
}

const PAGE = 500;

interface Page {
  items: unknown[];
  metadata?: { _continue?: string; resourceVersion?: string };
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
    // A YAML error quotes the lines around the fault, which in a kubeconfig are tokens and keys:
    // only its first line (what and where) is kept.
    const first = (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
    throw new NetdoctorError('kubeconfig-invalid', 'the kubeconfig could not be read', {
      cause: new Error(first),
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

function isNotFound(err: unknown): boolean {
  return (err as { code?: unknown }).code === 404;
}

/** client-node's model class of each kind, which knows the kind's wire field names. */
const MODEL: Record<ListKind, string> = {
  nodes: 'V1Node',
  namespaces: 'V1Namespace',
  pods: 'V1Pod',
  services: 'V1Service',
  endpointSlices: 'V1EndpointSlice',
  daemonSets: 'V1DaemonSet',
  deployments: 'V1Deployment',
  configMaps: 'V1ConfigMap',
  networkPolicies: 'V1NetworkPolicy',
  events: 'CoreV1Event',
};

const MODEL_OF_REPAIR_KIND: Record<RepairKind, string> = {
  DaemonSet: MODEL.daemonSets,
  Deployment: MODEL.deployments,
  ConfigMap: MODEL.configMaps,
  Service: MODEL.services,
  NetworkPolicy: MODEL.networkPolicies,
};

/**
 * Turns client-node's deserialised objects back into wire JSON. Plain JSON.stringify is not
 * enough: besides Date fields, the models rename fields that are reserved words in TypeScript
 * (a NetworkPolicy ingress rule's `from` is `_from`), and a rule read back without its `from`
 * would allow every peer. The client's own serializer maps each field to its wire name.
 */
export function wire(items: unknown[], model: string): unknown[] {
  return JSON.parse(JSON.stringify(items.map((i) => ObjectSerializer.serialize(i, model, '')))) as unknown[];
}

/** The real ClusterPort over @kubernetes/client-node. */
export class KubePort implements RepairPort {
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
      return wire(per.flat(), MODEL[kind]);
    }
    return wire(await this.#pages((p) => this.#listAll(kind, p)), MODEL[kind]);
  }

  /**
   * A whole list as a watch starts from it: every page's items in wire JSON and the list's
   * resourceVersion (the pages of one list share its snapshot). `namespace` lists one namespace.
   */
  async listForWatch(
    kind: ListKind,
    namespace?: string,
  ): Promise<{ items: unknown[]; resourceVersion: string }> {
    let resourceVersion = '';
    const items = await this.#pages((p) => {
      const page = namespace === undefined ? this.#listAll(kind, p) : this.#listIn(kind, namespace, p);
      return page.then((pg) => {
        resourceVersion ||= pg.metadata?.resourceVersion ?? '';
        return pg;
      });
    });
    return { items: wire(items, MODEL[kind]), resourceVersion };
  }

  async podLog(req: LogRequest): Promise<string> {
    return this.#core.readNamespacedPodLog({
      namespace: req.namespace,
      name: req.pod,
      container: req.container,
      previous: req.previous,
      tailLines: req.tailLines,
      ...(req.timestamps ? { timestamps: true } : {}),
    });
  }

  async createPod(namespace: string, pod: object): Promise<void> {
    await this.#core.createNamespacedPod({ namespace, body: pod as V1Pod });
  }

  async readPod(namespace: string, name: string): Promise<unknown | undefined> {
    try {
      return wire([await this.#core.readNamespacedPod({ namespace, name })], MODEL.pods)[0];
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async listPods(namespace: string | undefined, labelSelector: string): Promise<unknown[]> {
    const list = namespace
      ? await this.#core.listNamespacedPod({ namespace, labelSelector })
      : await this.#core.listPodForAllNamespaces({ labelSelector });
    return wire(list.items, MODEL.pods);
  }

  async deletePod(namespace: string, name: string, opts?: { graceSeconds?: number }): Promise<void> {
    try {
      await this.#core.deleteNamespacedPod({ namespace, name, gracePeriodSeconds: opts?.graceSeconds ?? 0 });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async createService(namespace: string, service: object): Promise<unknown> {
    return wire(
      [await this.#core.createNamespacedService({ namespace, body: service as V1Service })],
      MODEL.services,
    )[0];
  }

  async listServices(namespace: string | undefined, labelSelector: string): Promise<unknown[]> {
    const list = namespace
      ? await this.#core.listNamespacedService({ namespace, labelSelector })
      : await this.#core.listServiceForAllNamespaces({ labelSelector });
    return wire(list.items, MODEL.services);
  }

  async deleteService(namespace: string, name: string): Promise<void> {
    try {
      await this.#core.deleteNamespacedService({ namespace, name });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async readObject(kind: RepairKind, namespace: string, name: string): Promise<unknown | undefined> {
    const q = { namespace, name };
    try {
      switch (kind) {
        case 'DaemonSet':
          return wire([await this.#apps.readNamespacedDaemonSet(q)], MODEL_OF_REPAIR_KIND[kind])[0];
        case 'Deployment':
          return wire([await this.#apps.readNamespacedDeployment(q)], MODEL_OF_REPAIR_KIND[kind])[0];
        case 'ConfigMap':
          return wire([await this.#core.readNamespacedConfigMap(q)], MODEL_OF_REPAIR_KIND[kind])[0];
        case 'Service':
          return wire([await this.#core.readNamespacedService(q)], MODEL_OF_REPAIR_KIND[kind])[0];
        case 'NetworkPolicy':
          return wire([await this.#net.readNamespacedNetworkPolicy(q)], MODEL_OF_REPAIR_KIND[kind])[0];
      }
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async patchObject(
    kind: Exclude<RepairKind, 'NetworkPolicy'>,
    namespace: string,
    name: string,
    patch: object,
    type: PatchType,
  ): Promise<unknown> {
    const q = { namespace, name, body: patch };
    const opts = setHeaderOptions(
      'Content-Type',
      type === 'strategic' ? PatchStrategy.StrategicMergePatch : PatchStrategy.MergePatch,
    );
    switch (kind) {
      case 'DaemonSet':
        return wire([await this.#apps.patchNamespacedDaemonSet(q, opts)], MODEL_OF_REPAIR_KIND[kind])[0];
      case 'Deployment':
        return wire([await this.#apps.patchNamespacedDeployment(q, opts)], MODEL_OF_REPAIR_KIND[kind])[0];
      case 'ConfigMap':
        return wire([await this.#core.patchNamespacedConfigMap(q, opts)], MODEL_OF_REPAIR_KIND[kind])[0];
      case 'Service':
        return wire([await this.#core.patchNamespacedService(q, opts)], MODEL_OF_REPAIR_KIND[kind])[0];
    }
  }

  async createObject(kind: 'DaemonSet' | 'NetworkPolicy', namespace: string, body: object): Promise<unknown> {
    // The body is wire JSON; the client serialises from its models, so it goes through them first.
    const model = MODEL_OF_REPAIR_KIND[kind];
    const typed: unknown = ObjectSerializer.deserialize(body, model, '');
    return kind === 'DaemonSet'
      ? wire(
          [await this.#apps.createNamespacedDaemonSet({ namespace, body: typed as V1DaemonSet })],
          model,
        )[0]
      : wire(
          [await this.#net.createNamespacedNetworkPolicy({ namespace, body: typed as V1NetworkPolicy })],
          model,
        )[0];
  }

  async deleteObject(kind: 'DaemonSet' | 'NetworkPolicy', namespace: string, name: string): Promise<void> {
    try {
      if (kind === 'DaemonSet') await this.#apps.deleteNamespacedDaemonSet({ namespace, name });
      else await this.#net.deleteNamespacedNetworkPolicy({ namespace, name });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
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
