/**
 * Runs one command on one node for a repair step: a short-lived privileged hostNetwork pod
 * pinned to the node, which prints the command's output and exit code to its log (no
 * `pods/exec` needed) and is always deleted, on an interrupt too. Commands that touch node
 * files enter PID 1's mount namespace with nsenter; network commands run in the node's network
 * namespace as is.
 */
import { randomBytes } from 'node:crypto';
import { literalCommand } from '../cluster/literal-command.ts';
import { namePart, ownedLabels } from '../cluster/owned-labels.ts';
import { startFailureOfPod } from '../cluster/pod-start-failure.ts';
import type { RepairPort } from '../cluster/port.ts';
import { registerCleanup } from '../core/cleanup.ts';
import type { NodeRun, NodeRunner } from './step.ts';
import { sleep } from './step-kit.ts';

export interface NodeExecOptions {
  image: string;
  namespace: string;
  runId: string;
  /** How long to wait for the pod to finish. */
  timeoutMs: number;
  pollMs?: number;
}

const EXIT_MARK = '=====netdoctor-exit ';

/** Wraps argv so its exit code lands on the last log line. */
export function wrapCommand(argv: string[], hostMount: boolean): string[] {
  const quoted = argv.map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(' ');
  const inner = hostMount ? `nsenter -t 1 -m -- ${quoted}` : quoted;
  return ['sh', '-c', `${inner} 2>&1; echo; echo "${EXIT_MARK}$?"`];
}

/** Splits the pod log into the command's output and exit code (-1: the marker never came). */
export function parseRunLog(log: string): NodeRun {
  const i = log.lastIndexOf(EXIT_MARK);
  if (i < 0) return { exitCode: -1, stdout: log };
  const code = Number.parseInt(log.slice(i + EXIT_MARK.length).trim(), 10);
  const stdout = log.slice(0, i).replace(/\n$/, '');
  return { exitCode: Number.isNaN(code) ? -1 : code, stdout };
}

/** The pod that runs one command on `node`. */
export function nodeExecPod(node: string, argv: string[], hostMount: boolean, o: NodeExecOptions): object {
  const name = `netdoctor-fix-${namePart(node, 30, 'node')}-${randomBytes(3).toString('hex')}`;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: o.namespace,
      labels: { ...ownedLabels(o.runId, 'agent'), 'netdoctor.io/purpose': 'repair' },
    },
    spec: {
      nodeName: node,
      hostNetwork: true,
      hostPID: true,
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 0,
      automountServiceAccountToken: false,
      tolerations: [{ operator: 'Exists' }],
      containers: [
        {
          name: 'run',
          image: o.image,
          imagePullPolicy: 'IfNotPresent',
          command: literalCommand(wrapCommand(argv, hostMount)),
          securityContext: { privileged: true },
        },
      ],
    },
  };
}

interface PodView {
  metadata?: { name?: string };
  status?: {
    phase?: string;
    containerStatuses?: { state?: { waiting?: { reason?: string; message?: string } } }[];
  };
}

/** NodeRunner over short-lived pods. */
export class PodNodeRunner implements NodeRunner {
  readonly #port: RepairPort;
  readonly #o: NodeExecOptions;

  constructor(port: RepairPort, options: NodeExecOptions) {
    this.#port = port;
    this.#o = options;
  }

  async run(node: string, argv: string[], opts: { hostMount: boolean }): Promise<NodeRun> {
    const pod = nodeExecPod(node, argv, opts.hostMount, this.#o) as { metadata: { name: string } };
    const name = pod.metadata.name;
    const ns = this.#o.namespace;
    // Registered before the create is sent: an interrupt mid-command still removes the pod.
    const created = this.#port.createPod(ns, pod);
    const remove = async (): Promise<void> => {
      await created.catch(() => {});
      await this.#port.deletePod(ns, name);
    };
    const unregister = registerCleanup(`pod ${ns}/${name}`, remove);
    try {
      await created;
      const deadline = Date.now() + this.#o.timeoutMs;
      for (;;) {
        const p = (await this.#port.readPod(ns, name)) as PodView | undefined;
        const phase = p?.status?.phase;
        if (phase === 'Succeeded' || phase === 'Failed') break;
        const stuck = startFailureOfPod(p);
        if (stuck)
          throw new Error(
            `node command pod on ${node} cannot start: ${stuck.reason} ${stuck.message}`.trim(),
          );
        if (Date.now() > deadline)
          throw new Error(`node command on ${node} did not finish in ${this.#o.timeoutMs} ms`);
        await sleep(this.#o.pollMs ?? 500);
      }
      const log = await this.#port.podLog({
        namespace: ns,
        pod: name,
        container: 'run',
        previous: false,
        tailLines: 10000,
      });
      return parseRunLog(log);
    } finally {
      unregister();
      await remove().catch(() => undefined);
    }
  }
}
