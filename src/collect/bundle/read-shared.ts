/**
 * Reading a bundle's shared files (shared-chains.ts, shared-records.ts): each is read, checked
 * against the hash in its name, parsed, validated and frozen once per opened bundle, however many
 * nodes name it. A node whose shared file is absent, altered or unparsable loses that file to a
 * gap naming why; it never gets another node's content or a half-read one.
 */
import { performance } from 'node:perf_hooks';
import type { OpenedBundle } from './open-bundle.ts';
import { sha256Hex } from './shared-chains.ts';

/** A shared file parsed, or why it cannot be used. */
export type Shared<T> =
  | { kind: 'ok'; value: T }
  | { kind: 'unusable'; reason: 'not-found' | 'error' | 'parse-error'; detail: string };

/** What a node file names: where the shared file is, and the SHA-256 its content must have. */
export interface SharedRef {
  path: string;
  sha256: string;
}

const loaded = new WeakMap<OpenedBundle, Map<string, Promise<Shared<unknown>>>>();

/**
 * The shared file `ref` names, parsed by `parse` (which also validates and freezes), read once
 * per opened bundle and `as` (the same file named as chains and as records is parsed each way).
 */
export function sharedFile<T>(
  opened: OpenedBundle,
  as: string,
  ref: SharedRef,
  timer: { parseMs: number },
  parse: (text: string) => T,
): Promise<Shared<T>> {
  let byKey = loaded.get(opened);
  if (!byKey) {
    byKey = new Map();
    loaded.set(opened, byKey);
  }
  const key = `${as}\0${ref.path}`;
  let p = byKey.get(key) as Promise<Shared<T>> | undefined;
  if (!p) {
    p = load(opened, ref, timer, parse);
    byKey.set(key, p);
  }
  return p;
}

async function load<T>(
  opened: OpenedBundle,
  ref: SharedRef,
  timer: { parseMs: number },
  parse: (text: string) => T,
): Promise<Shared<T>> {
  const refused = opened.refused.get(ref.path);
  if (refused !== undefined) return { kind: 'unusable', reason: 'error', detail: `${ref.path}: ${refused}` };
  const r = await opened.reader.read(ref.path);
  if (r.kind !== 'text') {
    return {
      kind: 'unusable',
      reason: r.reason === 'not-found' ? 'not-found' : 'error',
      detail: r.reason === 'not-found' ? `its shared file ${ref.path} is absent from the bundle` : r.detail,
    };
  }
  const t = performance.now();
  try {
    if (sha256Hex(r.text) !== ref.sha256) {
      return {
        kind: 'unusable',
        reason: 'error',
        detail: `its shared file ${ref.path} does not match the SHA-256 in its name (altered or corrupt)`,
      };
    }
    return { kind: 'ok', value: parse(r.text) };
  } catch (err) {
    return {
      kind: 'unusable',
      reason: 'parse-error',
      detail: `its shared file ${ref.path}: ${err instanceof Error ? err.message : String(err)}`,
    };
  } finally {
    timer.parseMs += performance.now() - t;
  }
}
