/**
 * `lab load-image`: imports image archives (docker-archive tars, such as `make image` writes)
 * into every lab node's containerd, as a user would load an image on air-gapped nodes, so pods
 * run them with `imagePullPolicy: Never` and no registry.
 */
import { existsSync } from 'node:fs';
import { NetdoctorError } from '../core/errors.ts';
import { importImages } from './node-runtime.ts';
import type { LabPaths } from './paths.ts';
import { requireUpState } from './state.ts';
import { planTopology } from './topology.ts';

/** Imports `archives` into every node; returns the nodes loaded. */
export function loadImages(paths: LabPaths, archives: readonly string[]): string[] {
  for (const a of archives) {
    if (!existsSync(a))
      throw new NetdoctorError('usage', `no such image archive: ${a}`, { suggestions: ['make image'] });
  }
  const t = planTopology(requireUpState(paths.stateFile).nodeCount);
  for (const n of t.nodes) importImages(paths, n, [...archives]);
  return t.nodes.map((n) => n.name);
}
