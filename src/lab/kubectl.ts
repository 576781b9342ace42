/** kubectl with the lab's kubeconfig: the lab drives its cluster the way an operator would. */
import type { LabPaths } from './paths.ts';
import { type RunOptions, type RunResult, run, tryRun } from './shell.ts';

export function kubectl(paths: LabPaths, args: readonly string[], opts: RunOptions = {}): string {
  return run(paths.kubectl, ['--kubeconfig', paths.kubeconfig, ...args], opts);
}

export function tryKubectl(paths: LabPaths, args: readonly string[], opts: RunOptions = {}): RunResult {
  return tryRun(paths.kubectl, ['--kubeconfig', paths.kubeconfig, ...args], opts);
}

/** `kubectl apply -f -` with a manifest on stdin. */
export function applyManifest(paths: LabPaths, manifest: string): string {
  return kubectl(paths, ['apply', '--server-side', '--force-conflicts', '-f', '-'], { input: manifest });
}
