/**
 * Shared input checks for the JSON-printing tools (`ip -j`, `bridge -j`, `nft -j`): a bad or
 * truncated file fails with a message that names the file kind and what is wrong.
 */

/** Parses `text` as JSON, throwing `<what>: not valid JSON (...)` when it is not. */
export function parseJson(text: string, what: string): unknown {
  if (text.trim() === '') throw new Error(`${what}: empty input`);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${what}: not valid JSON (${(err as Error).message}); truncated or not ${what} output?`);
  }
}

/** Parses a JSON array of objects, as `ip -j` and `bridge -j` print. */
export function parseJsonObjects(text: string, what: string): Record<string, unknown>[] {
  const data = parseJson(text, what);
  if (!Array.isArray(data)) throw new Error(`${what}: expected a JSON array, got ${typeName(data)}`);
  for (let i = 0; i < data.length; i++) {
    if (!isObject(data[i]))
      throw new Error(`${what}: entry ${i} is ${typeName(data[i])}, expected an object`);
  }
  return data as Record<string, unknown>[];
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return `a ${typeof v}`;
}

/** Reads a required string field, naming the entry when it is missing. */
export function reqString(o: Record<string, unknown>, key: string, what: string, i: number): string {
  const v = o[key];
  if (typeof v !== 'string') throw new Error(`${what}: entry ${i} has no string "${key}"`);
  return v;
}

export function optString(o: Record<string, unknown>, key: string): string | undefined {
  const v = o[key];
  return typeof v === 'string' ? v : undefined;
}

export function optNumber(o: Record<string, unknown>, key: string): number | undefined {
  const v = o[key];
  return typeof v === 'number' ? v : undefined;
}

export function stringArray(o: Record<string, unknown>, key: string): string[] {
  const v = o[key];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/**
 * Copies each of `keys` that holds a string (or, for `numbers`, a number) in `o` onto `out` under
 * the same name. Absent fields stay absent rather than `undefined`, as the model's optional
 * properties require.
 */
export function copyOptional<T extends object>(
  out: T,
  o: Record<string, unknown>,
  strings: readonly (keyof T & string)[],
  numbers: readonly (keyof T & string)[] = [],
): T {
  const target = out as Record<string, unknown>;
  for (const k of strings) {
    const v = o[k];
    if (typeof v === 'string') target[k] = v;
  }
  for (const k of numbers) {
    const v = o[k];
    if (typeof v === 'number') target[k] = v;
  }
  return out;
}
