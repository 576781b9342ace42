/**
 * A ClusterPort that counts the calls it forwards: the benchmark and `-v` report how many API
 * requests a diagnosis made (a paged list counts once per call to `list`).
 */
import type { ClusterPort, ListKind, LogRequest } from './port.ts';

export class CountingPort implements ClusterPort {
  readonly #inner: ClusterPort;
  /** Calls by method name. */
  readonly calls: Record<string, number> = {};

  constructor(inner: ClusterPort) {
    this.#inner = inner;
  }

  get target(): ClusterPort['target'] {
    return this.#inner.target;
  }

  get total(): number {
    return Object.values(this.calls).reduce((a, b) => a + b, 0);
  }

  #count(method: string): void {
    this.calls[method] = (this.calls[method] ?? 0) + 1;
  }

  serverVersion(): Promise<string> {
    this.#count('serverVersion');
    return this.#inner.serverVersion();
  }
  list(kind: ListKind, opts?: { namespaces?: string[] }): Promise<unknown[]> {
    this.#count(`list:${kind}`);
    return this.#inner.list(kind, opts);
  }
  podLog(req: LogRequest): Promise<string> {
    this.#count('podLog');
    return this.#inner.podLog(req);
  }
  createPod(namespace: string, pod: object): Promise<void> {
    this.#count('createPod');
    return this.#inner.createPod(namespace, pod);
  }
  readPod(namespace: string, name: string): Promise<unknown | undefined> {
    this.#count('readPod');
    return this.#inner.readPod(namespace, name);
  }
  listPods(namespace: string | undefined, labelSelector: string): Promise<unknown[]> {
    this.#count('listPods');
    return this.#inner.listPods(namespace, labelSelector);
  }
  deletePod(namespace: string, name: string, opts?: { graceSeconds?: number }): Promise<void> {
    this.#count('deletePod');
    return this.#inner.deletePod(namespace, name, opts);
  }
  createService(namespace: string, service: object): Promise<unknown> {
    this.#count('createService');
    return this.#inner.createService(namespace, service);
  }
  listServices(namespace: string | undefined, labelSelector: string): Promise<unknown[]> {
    this.#count('listServices');
    return this.#inner.listServices(namespace, labelSelector);
  }
  deleteService(namespace: string, name: string): Promise<void> {
    this.#count('deleteService');
    return this.#inner.deleteService(namespace, name);
  }
}
