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

function schemaFor(k: BundleFileKind): { id: string; schema: Schema } {
  switch (k.kind) {
    case 'cluster':
      return { id: `cluster/${k.key}`, schema: arrayOf(CLUSTER_ITEM_SCHEMAS[k.key]) };
    case 'version':
      return { id: 'version', schema: { anyOf: [str, obj({ gitVersion: str }, ['gitVersion'])] } };
    case 'probes':
      return { id: 'probes', schema: PROBES_SCHEMA };
    case 'node':
      return { id: `node/${k.key}`, schema: NODE_VALUE_SCHEMAS[k.key] };
    case 'cni-config':
      return { id: 'cni-config', schema: CNI_CONFIG_SCHEMA };
  }
}

/** Compiled once per kind, on first use: most commands read only some kinds. */
function validator(k: BundleFileKind): ValidateFunction {
  const { id, schema } = schemaFor(k);
  let v = compiled.get(id);
  if (!v) {
    v = ajv.compile(schema);
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
