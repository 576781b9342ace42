/**
 * Checks against the real lab with plain kubectl and `kubectl exec` from the toolbox pods, so a
 * pass or a fail is the cluster's, independent of netdoctor's own analysis.
 */
import { spawnSync } from 'node:child_process';
import { DEMO_NAMESPACE } from '../../src/lab/addons/demo.ts';
import {
  dataPlaneFailures,
  execIn as execInPod,
  labProbes,
  toolboxPods as labToolboxPods,
  podsNotRunning,
  type ToolboxPod,
} from '../../src/lab/data-plane.ts';
import { labPaths } from '../../src/lab/paths.ts';
import { loadVersions } from '../../src/lab/versions.ts';

export const paths = labPaths(loadVersions());

export interface Result {
  ok: boolean;
  out: string;
}

export function kc(args: string[], timeoutMs = 30_000, input?: string): Result {
  const r = spawnSync(paths.kubectl, ['--kubeconfig', paths.kubeconfig, ...args], {
    encoding: 'utf8',
    timeout: timeoutMs,
    ...(input === undefined ? {} : { input }),
  });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

/**
 * The addresses in the demo web Service's EndpointSlices ('' when it has none), from kubectl's
 * standard output alone: v1 Endpoints is deprecated from 1.33 and kubectl's warning about it,
 * on stderr, is not data. A kubectl that fails throws rather than read as "no endpoints".
 */
export function webEndpoints(): string {
  const r = spawnSync(
    paths.kubectl,
    [
      '--kubeconfig',
      paths.kubeconfig,
      '-n',
      DEMO_NAMESPACE,
      'get',
      'endpointslices',
      '-l',
      'kubernetes.io/service-name=web',
      '-o',
      'jsonpath={.items[*].endpoints[*].addresses}',
    ],
    { encoding: 'utf8', timeout: 30_000 },
  );
  if (r.status !== 0) throw new Error(`kubectl get endpointslices: ${r.stderr}`);
  return (r.stdout ?? '').trim();
}

export type { ToolboxPod } from '../../src/lab/data-plane.ts';
export { hasAddress } from '../../src/lab/data-plane.ts';

export const toolboxPods = (): ToolboxPod[] => labToolboxPods(paths);

/** Runs a shell command in a toolbox pod. */
export const execIn = (pod: ToolboxPod, script: string, timeoutMs = 30_000): Result =>
  execInPod(paths, pod, script, timeoutMs);

export const probes = labProbes(paths);

export const allPodsRunning = () => podsNotRunning(paths);

export async function eventually(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2000));
  }
}

/** Every healthy check (the lab's data-plane checks); returns the failures, empty when healthy. */
export const healthyFailures = (): string[] => dataPlaneFailures(paths);
