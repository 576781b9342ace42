/**
 * kwok as a child process of the benchmark: it keeps the fake nodes Ready (leases, status) and
 * plays each pod bound to one through to Running with an address from the node's pod CIDR.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadVersions } from '../../src/lab/versions.ts';
import { KWOK_NODE_ANNOTATION } from './objects.ts';

const CACHE = process.env['NETDOCTOR_LAB_CACHE'] ?? '/var/cache/netdoctor-lab';

/** The binary lab/build.sh kwok makes, or an error saying how to make it. */
export function kwokBinary(): string {
  const v = loadVersions().KWOK_VERSION;
  const bin = join(CACHE, 'bin', `kwok-${v}`, 'kwok');
  if (!existsSync(bin)) throw new Error(`${bin} is missing: build it with lab/build.sh kwok`);
  return bin;
}

export interface Kwok {
  readonly log: string;
  stop(): Promise<void>;
}

/**
 * Without pod stages kwok would fall back to its defaults; this one matches no pod, so kwok
 * keeps the nodes alive and leaves every pod Pending where it was bound. The key is a jq path:
 * a label name with a dash in it reads as a subtraction, and kwok v0.7.0 then crashes.
 */
const NO_POD_PLAY = `---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata: {name: pod-never}
spec:
  resourceRef: {apiGroup: v1, kind: Pod}
  selector:
    matchExpressions:
    - {key: '.metadata.labels.benchnever', operator: Exists}
  next: {}
`;

/** How kwok runs: status writes in flight, and whether it plays pods through to Running. */
export interface KwokOptions {
  parallelism: number;
  playPods: boolean;
}

/**
 * Starts kwok on the lab's API server, managing only nodes annotated as fake. Playing a pod to
 * Running is one more write per pod; on the lab's two cores kwok managed about 15 a second
 * beside the creates, hours for 150,000, so at full size pods stay Pending (`playPods` false).
 */
export function startKwok(kubeconfig: string, logDir: string, opts: KwokOptions): Kwok {
  const log = join(logDir, 'kwok.log');
  const out = createWriteStream(log);
  const config = join(logDir, 'kwok.yaml');
  writeFileSync(
    config,
    [
      'apiVersion: config.kwok.x-k8s.io/v1alpha1',
      'kind: KwokConfiguration',
      'options:',
      `  podPlayStageParallelism: ${opts.parallelism}`,
      `  nodePlayStageParallelism: ${opts.parallelism}`,
      `  nodeLeaseParallelism: ${opts.parallelism}`,
      opts.playPods ? '' : NO_POD_PLAY,
    ].join('\n'),
  );
  const child: ChildProcess = spawn(
    kwokBinary(),
    [
      `--config=${config}`,
      `--kubeconfig=${kubeconfig}`,
      '--manage-all-nodes=false',
      `--manage-nodes-with-annotation-selector=${KWOK_NODE_ANNOTATION}=fake`,
      // Heartbeats by Lease, renewed every duration/4. A kubelet's 40 s (a renewal every 10 s)
      // is 500 writes a second for 5,000 nodes, which saturates the lab's two cores; 120 s renews
      // every 30 s, still inside the controller-manager's 40 s grace before a node is NotReady.
      '--node-lease-duration-seconds=120',
      // No server for logs/exec: nothing reads them, and no port is opened.
      '--server-address=',
      // At INFO it logs every Lease renewal: thousands of lines a minute, CPU the lab lacks.
      '--v=WARN',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    log,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
      out.end();
    },
  };
}
