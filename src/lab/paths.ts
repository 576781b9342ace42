/**
 * Where the lab keeps things: build outputs and caches (kept across runs, keyed by version) and
 * the running lab's state (removed by `lab down`). Both live outside the work tree.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LabVersions } from './versions.ts';

/** The repository's lab/ folder (versions file, build and image scripts). */
export const LAB_SOURCE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../lab');

/** Build outputs and Go caches: survive `lab down` so a warm `lab up` starts in seconds. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env['NETDOCTOR_LAB_CACHE'] ?? '/var/cache/netdoctor-lab';
}

/** The running lab: state file, PKI, per-node data, logs. `lab down` removes it whole. */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  return env['NETDOCTOR_LAB_STATE'] ?? '/var/lib/netdoctor-lab';
}

/** Paths of everything the lab runs, derived from the pinned versions. */
export interface LabPaths {
  cache: string;
  state: string;
  stateFile: string;
  pki: string;
  logs: string;
  manifests: string;
  kubeconfig: string;
  k8sBin: string;
  kubectl: string;
  images: string;
  nodeDir: (node: string) => string;
}

export function labPaths(v: LabVersions, env: NodeJS.ProcessEnv = process.env): LabPaths {
  const cache = cacheDir(env);
  const state = stateDir(env);
  const k8sBin = join(cache, 'bin', `k8s-${v.K8S_VERSION}`);
  return {
    cache,
    state,
    stateFile: join(state, 'state.json'),
    pki: join(state, 'pki'),
    logs: join(state, 'logs'),
    manifests: join(state, 'manifests'),
    kubeconfig: join(state, 'admin.kubeconfig'),
    k8sBin,
    kubectl: join(k8sBin, 'kubectl'),
    images: join(cache, 'images'),
    nodeDir: (node) => join(state, 'nodes', node),
  };
}
