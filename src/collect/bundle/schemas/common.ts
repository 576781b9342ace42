/**
 * Building blocks of the bundle file schemas. Each schema states what the model types in
 * src/core declare: required where the type requires, typed wherever a field is present.
 * Extra fields are allowed, as the types are views of whole API objects.
 */

/** A JSON Schema, as ajv takes it. */
export type Schema = Record<string, unknown>;

export const str: Schema = { type: 'string' };
export const num: Schema = { type: 'number' };
export const int: Schema = { type: 'integer' };
export const bool: Schema = { type: 'boolean' };
export const strings: Schema = { type: 'array', items: str };
export const stringMap: Schema = { type: 'object', additionalProperties: str };

/**
 * An object with these properties, the `required` ones present. Optional properties may also be
 * null: the API sends `null` for unset fields (an EndpointSlice without endpoints, an event's
 * `eventTime`), and the model's optional fields are read with `?.` and `??`, which treat null
 * as absent.
 */
export function obj(properties: Record<string, Schema>, required: readonly string[] = []): Schema {
  const props: Record<string, Schema> = {};
  for (const [k, v] of Object.entries(properties)) props[k] = required.includes(k) ? v : nullable(v);
  return { type: 'object', properties: props, required: [...required] };
}

/**
 * {@link obj} for values netdoctor's own parsers built, which leave an unset field out rather
 * than null: no null to allow, and a simpler check on the hot path (thousands of iptables rules
 * per node).
 */
export function parsedObj(properties: Record<string, Schema>, required: readonly string[] = []): Schema {
  return { type: 'object', properties, required: [...required] };
}

function nullable(s: Schema): Schema {
  const type = s['type'];
  const out: Schema = { ...s, type: Array.isArray(type) ? [...type, 'null'] : [type, 'null'] };
  if (Array.isArray(s['enum'])) out['enum'] = [...s['enum'], null];
  return out;
}

export function arrayOf(items: Schema): Schema {
  return { type: 'array', items };
}

export function oneOfStrings(values: readonly string[]): Schema {
  return { type: 'string', enum: [...values] };
}
