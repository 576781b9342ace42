/**
 * Runs one command on one node for a repair step: a short-lived privileged hostNetwork pod
 * pinned to the node, which prints the command's output and exit code to its log (no
 * `pods/exec` needed). The node pod runner (cluster/node-pod.ts) waits for it, stops at a pod
 * that cannot start, and always deletes it, on an interrupt too. Commands that touch node files
 * enter PID 1's mount namespace with nsenter; network commands run in the node's network
 * namespace as is.
 */
import { randomBytes } from 'node:crypto';
import { runNodePod } from '../cluster/node-pod.ts';
import { type NodePodSpec, podName } from '../cluster/node-pod-spec.ts';
import { namePart } from '../cluster/owned-labels.ts';
import type { RepairPort } from '../cluster/port.ts';
import type { NodeRun, NodeRunner } from './step.ts';

export interface NodeExecOptions {
  image: string;
  namespace: string;
  runId: string;
  /** How long to wait for the pod to finish. */
  timeoutMs: number;
  pollMs?: number;
}

const EXIT_MARK = '=====netdoctor-exit ';
const RUN_CONTAINER = 'run';

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
export function nodeExecPodSpec(
  node: string,
  argv: string[],
  hostMount: boolean,
  o: NodeExecOptions,
): NodePodSpec {
  return {
    name: podName(`netdoctor-fix-${namePart(node, 30, 'node')}-${randomBytes(3).toString('hex')}`),
    node,
    runId: o.runId,
    role: 'agent',
    labels: { 'netdoctor.io/purpose': 'repair' },
    access: { hostNetwork: true, hostPID: true, privileged: true },
    // The kubelet stops a command netdoctor no longer waits for (it was interrupted, or died).
    activeDeadlineSeconds: Math.ceil(o.timeoutMs / 1000) + 30,
    container: {
      name: RUN_CONTAINER,
      image: o.image,
      imagePullPolicy: 'IfNotPresent',
      argv: wrapCommand(argv, hostMount),
    },
  };
}

/** NodeRunner over short-lived pods, run by the node pod runner. */
export class PodNodeRunner implements NodeRunner {
  readonly #port: RepairPort;
  readonly #o: NodeExecOptions;

  constructor(port: RepairPort, options: NodeExecOptions) {
    this.#port = port;
    this.#o = options;
  }

  async run(node: string, argv: string[], opts: { hostMount: boolean }): Promise<NodeRun> {
    const r = await runNodePod(
      { port: this.#port, namespace: this.#o.namespace },
      nodeExecPodSpec(node, argv, opts.hostMount, this.#o),
      {
        timeoutMs: this.#o.timeoutMs,
        pollMs: this.#o.pollMs ?? 500,
        log: { container: RUN_CONTAINER, tailLines: 10_000 },
      },
    );
    switch (r.status) {
      case 'ended':
        if (!r.log.ok) throw r.log.error;
        return parseRunLog(r.log.text);
      case 'not-created':
      case 'error':
        throw r.error;
      case 'cannot-start':
        throw new Error(
          `node command pod on ${node} cannot start: ${r.failure.reason} ${r.failure.message}`.trim(),
        );
      case 'gone':
        throw new Error(`node command pod on ${node} was deleted before it finished`);
      case 'timeout':
      case 'aborted':
        throw new Error(`node command on ${node} did not finish in ${this.#o.timeoutMs} ms`);
    }
  }
}
