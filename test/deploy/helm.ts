/**
 * helm for the chart tests: scripts/helm.sh runs the helm lab/build.sh builds from its Go module
 * (building it once into the lab cache when it is missing), and the rendered documents are parsed
 * with the `yaml` package, strictly: a duplicate key or a YAML error fails the test.
 */
import { spawnSync } from 'node:child_process';
import { parseAllDocuments } from 'yaml';

export const CHART = 'charts/netdoctor';

/** helm's output; a non-zero exit throws with what helm said. */
export function helm(args: string[]): string {
  // A cold cache builds helm first, which takes minutes on two cores.
  const r = spawnSync('scripts/helm.sh', args, { encoding: 'utf8', timeout: 900_000 });
  if (r.status !== 0) throw new Error(`helm ${args.join(' ')} exited ${r.status}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** A Kubernetes object as rendered: only the fields the tests read are typed. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

/** Every object in a multi-document YAML stream; empty documents (comments only) are dropped. */
export function objectsOf(text: string): K8sObject[] {
  const out: K8sObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(doc.errors.map((e) => e.message).join('\n'));
    const o = doc.toJS() as K8sObject | null;
    if (o !== null) out.push(o);
  }
  return out;
}

/** `helm template` of the chart as release `netdoctor` (unless named) in namespace `netdoctor`, parsed. */
export function render(set: string[] = [], release = 'netdoctor'): K8sObject[] {
  const sets = set.flatMap((s) => ['--set', s]);
  return objectsOf(helm(['template', release, CHART, '--namespace', 'netdoctor', ...sets]));
}

export function one(objects: K8sObject[], kind: string, name?: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (found.length !== 1)
    throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
  return found[0]!;
}
