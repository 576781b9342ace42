/** The pinned versions of lab/versions.env, the one file that names them. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NetdoctorError } from '../core/errors.ts';
import { LAB_SOURCE_DIR } from './paths.ts';

const KEYS = [
  'K8S_VERSION',
  'FLANNEL_VERSION',
  'FLANNEL_CNI_PLUGINS_VERSION',
  'COREDNS_VERSION',
  'KUBE_ROUTER_VERSION',
  'PAUSE_VERSION',
  'TOOLBOX_VERSION',
  // Not part of the lab itself: bench/kwok-scale.bench.ts's simulated nodes.
  'KWOK_VERSION',
] as const;

export type LabVersions = Record<(typeof KEYS)[number], string>;

/** Parses `KEY=value` lines; comments and blank lines are ignored. */
export function parseVersions(text: string): LabVersions {
  const found = new Map<string, string>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq > 0) found.set(line.slice(0, eq), line.slice(eq + 1));
  }
  const out: Partial<LabVersions> = {};
  for (const k of KEYS) {
    const v = found.get(k);
    if (v === undefined) throw new NetdoctorError('lab', `lab/versions.env does not set ${k}`);
    out[k] = v;
  }
  return out as LabVersions;
}

export function loadVersions(dir: string = LAB_SOURCE_DIR): LabVersions {
  return parseVersions(readFileSync(join(dir, 'versions.env'), 'utf8'));
}
