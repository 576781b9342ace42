/**
 * Every bundle file is checked against its schema before any rule sees it: a bundle is input
 * from someone else's machine, and a rule written for `pods[i].metadata.namespace` must not meet
 * `pods[i] = 1`. A file that fails becomes a gap naming it and its first error (the reader's
 * parse-error path), so it is neither a crash nor a finding.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import type { ClusterFileKey, NodeFileKey } from './layout.ts';
import { CLUSTER_ITEM_SCHEMAS } from './schemas/cluster.ts';
import { arrayOf, obj, type Schema, str } from './schemas/common.ts';
import { CNI_CONFIG_SCHEMA, NODE_VALUE_SCHEMAS } from './schemas/node.ts';
import { PROBES_SCHEMA } from './schemas/probes.ts';

/** Every kind of bundle file that has a schema. */
export type BundleFileKind =
  | { kind: 'cluster'; key: Exclude<ClusterFileKey, 'version'> }
  | { kind: 'version' }
  | { kind: 'probes' }
  | { kind: 'node'; key: NodeFileKey }
  | { kind: 'cni-config' };

/** Raised for a file that does not match its schema; the reader turns it into a gap. */
export class SchemaError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SchemaError';
  }
}

const ajv = new Ajv({ allErrors: false, strict: false });
const compiled = new Map<string, ValidateFunction>();

function idOf(k: BundleFileKind): string {
  switch (k.kind) {
    case 'cluster':
      return `cluster/${k.key}`;
    case 'node':
      return `node/${k.key}`;
    default:
      return k.kind;
  }
}

function schemaFor(k: BundleFileKind): Schema {
  switch (k.kind) {
    case 'cluster':
      return arrayOf(CLUSTER_ITEM_SCHEMAS[k.key]);
    case 'version':
      return { anyOf: [str, obj({ gitVersion: str }, ['gitVersion'])] };
    case 'probes':
      return PROBES_SCHEMA;
    case 'node':
      return NODE_VALUE_SCHEMAS[k.key];
    case 'cni-config':
      return CNI_CONFIG_SCHEMA;
  }
}

/**
 * Compiled once per kind, on first use: most commands read only some kinds. The schema is built
 * only then: this runs for every file of every node.
 */
function validator(k: BundleFileKind): ValidateFunction {
  const id = idOf(k);
  let v = compiled.get(id);
  if (!v) {
    v = ajv.compile(schemaFor(k));
    compiled.set(id, v);
  }
  return v;
}

/**
 * Throws SchemaError with the first mismatch (`/items/3/metadata: must have required property
 * 'name'`) when `value` does not match the schema of `kind`. The message names where and what,
 * never the offending value.
 */
export function assertValid(kind: BundleFileKind, value: unknown, where = ''): void {
  const v = validator(kind);
  if (v(value)) return;
  const e = v.errors?.[0];
  const at = `${where}${e?.instancePath ?? ''}` || '(top)';
  throw new SchemaError(`does not match its schema: ${at}: ${e?.message ?? 'invalid'}`);
}
