/**
 * A RepairPort whose pods follow a script: each read of a pod returns the status the script gives
 * for that pod and read, so the node pod runner's handling of every state a kubelet can leave a
 * pod in (ImagePullBackOff, CreateContainerConfigError, a sandbox that fails, Evicted, deleted
 * mid-wait, ...) runs in phase 1, where no cluster and no kubelet can. The live suites run the
 * same code against the lab's real kubelets. Every call is recorded, in order.
 */
import type { EventView } from '../../src/cluster/pod-start-failure.ts';
import type { ListKind, LogRequest, RepairPort } from '../../src/cluster/port.ts';

/** A pod's manifest as created. */
export interface ScriptedManifest {
  metadata: { name: string; namespace?: string; labels: Record<string, string> };
  spec: Record<string, unknown> & { nodeName: string };
}

/** The pod status for the `read`-th read (0-based) of a pod; `gone` deletes it from the API. */
export type PodScript = (name: string, read: number) => object | 'gone';

export class ScriptedPodPort implements RepairPort {
  readonly target = { server: 'scripted://pods' };
  /** Every call, as `verb ns/name` (lists: `verb ns`). */
  readonly calls: string[] = [];
  readonly pods = new Map<string, { manifest: ScriptedManifest; reads: number }>();
  readonly created: ScriptedManifest[] = [];
  events: EventView[] = [];
  script: PodScript;
  /** The log of a pod, by name. */
  logs: (name: string) => string = () => '';
  /** An error the create of a pod throws, if any. */
  createError: (name: string) => Error | undefined = () => undefined;
  /** An error each read of a pod throws, if any. */
  readError: (name: string) => Error | undefined = () => undefined;
  /** How long a create takes to be answered. */
  createDelayMs = 0;

  constructor(script: PodScript) {
    this.script = script;
  }

  async serverVersion(): Promise<string> {
    return 'v1.30.0';
  }
  async list(kind: ListKind, opts?: { namespaces?: string[] }): Promise<unknown[]> {
    this.calls.push(`list ${kind} ${opts?.namespaces?.join(',') ?? ''}`);
    if (kind === 'events') return this.events;
    return [];
  }
  async podLog(req: LogRequest): Promise<string> {
    this.calls.push(`podLog ${req.namespace}/${req.pod}`);
    if (!this.pods.has(req.pod)) throw Object.assign(new Error('pods not found'), { code: 404 });
    return this.logs(req.pod);
  }
  async createPod(namespace: string, pod: object): Promise<void> {
    const m = pod as ScriptedManifest;
    this.calls.push(`createPod ${namespace}/${m.metadata.name}`);
    if (this.createDelayMs) await new Promise((r) => setTimeout(r, this.createDelayMs));
    const err = this.createError(m.metadata.name);
    if (err) throw err;
    this.created.push(m);
    this.pods.set(m.metadata.name, { manifest: m, reads: 0 });
  }
  #view(name: string): object | undefined {
    const p = this.pods.get(name);
    if (!p) return undefined;
    const status = this.script(name, p.reads);
    p.reads += 1;
    if (status === 'gone') {
      this.pods.delete(name);
      return undefined;
    }
    return { metadata: p.manifest.metadata, spec: p.manifest.spec, status };
  }
  async readPod(namespace: string, name: string): Promise<unknown | undefined> {
    this.calls.push(`readPod ${namespace}/${name}`);
    const err = this.readError(name);
    if (err) throw err;
    return this.#view(name);
  }
  async listPods(namespace: string | undefined, labelSelector: string): Promise<unknown[]> {
    this.calls.push(`listPods ${namespace ?? ''}`);
    const want = labelSelector.split(',').map((kv) => kv.split('=') as [string, string]);
    return [...this.pods.values()]
      .filter((p) => want.every(([k, v]) => p.manifest.metadata.labels[k] === v))
      .map((p) => this.#view(p.manifest.metadata.name))
      .filter((v) => v !== undefined);
  }
  async deletePod(namespace: string, name: string): Promise<void> {
    this.calls.push(`deletePod ${namespace}/${name}`);
    this.pods.delete(name);
  }
  async createService(): Promise<unknown> {
    throw new Error('not scripted');
  }
  async listServices(): Promise<unknown[]> {
    return [];
  }
  async deleteService(): Promise<void> {}
  async readObject(): Promise<unknown | undefined> {
    throw new Error('not scripted');
  }
  async patchObject(): Promise<unknown> {
    throw new Error('not scripted');
  }
  async createObject(): Promise<unknown> {
    throw new Error('not scripted');
  }
  async deleteObject(): Promise<void> {
    throw new Error('not scripted');
  }
}

/** A status with the (only) container waiting for `reason`. */
export function waiting(reason: string, message = '', phase = 'Pending'): object {
  return { phase, containerStatuses: [{ name: 'c', ready: false, state: { waiting: { reason, message } } }] };
}

/** A status of a pod that ended, its container with `exitCode`. */
export function ended(phase: 'Succeeded' | 'Failed', exitCode: number, podReason?: string): object {
  return {
    phase,
    ...(podReason ? { reason: podReason } : {}),
    containerStatuses: [
      {
        name: 'c',
        ready: false,
        state: { terminated: { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error' } },
      },
    ],
  };
}

/** A running pod, ready or not. */
export function running(ready = true, podIP = '10.244.1.9'): object {
  return {
    phase: 'Running',
    podIP,
    conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
    containerStatuses: [{ name: 'c', ready, state: { running: { startedAt: '2026-12-06T10:00:00Z' } } }],
  };
}
