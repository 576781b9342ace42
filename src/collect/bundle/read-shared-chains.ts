/**
 * Reading the shared chain files of a bundle (shared-chains.ts): each is read, checked against
 * the hash in its name, parsed, validated and frozen once per opened bundle, however many nodes
 * name it. A node whose shared file is absent, altered or unparsable loses its iptables dump to
 * a gap naming why; it never gets another node's chains or a half-read dump.
 */
import { performance } from 'node:perf_hooks';
import type { IptablesDump } from '../../core/datapath-types.ts';
import { freezeDump } from '../../datapath/iptables-layers.ts';
import { parseIptablesSave } from '../../datapath/parsers/iptables-save.ts';
import type { OpenedBundle } from './open-bundle.ts';
import { sha256Hex } from './shared-chains.ts';
import { assertValid } from './validate.ts';

/** A shared chain file, or why it cannot be used. */
export type SharedChains =
  | { kind: 'ok'; dump: Readonly<IptablesDump> }
  | { kind: 'unusable'; reason: 'not-found' | 'error' | 'parse-error'; detail: string };

const loaded = new WeakMap<OpenedBundle, Map<string, Promise<SharedChains>>>();

/** The shared chains at `path` (named by `sha256`), read once per opened bundle. */
export function sharedChains(
  opened: OpenedBundle,
  ref: { path: string; sha256: string },
  timer: { parseMs: number },
): Promise<SharedChains> {
  let byPath = loaded.get(opened);
  if (!byPath) {
    byPath = new Map();
    loaded.set(opened, byPath);
  }
  let p = byPath.get(ref.path);
  if (!p) {
    p = load(opened, ref, timer);
    byPath.set(ref.path, p);
  }
  return p;
}

async function load(
  opened: OpenedBundle,
  ref: { path: string; sha256: string },
  timer: { parseMs: number },
): Promise<SharedChains> {
  const refused = opened.refused.get(ref.path);
  if (refused !== undefined) return { kind: 'unusable', reason: 'error', detail: `${ref.path}: ${refused}` };
  const r = await opened.reader.read(ref.path);
  if (r.kind !== 'text') {
    return {
      kind: 'unusable',
      reason: r.reason === 'not-found' ? 'not-found' : 'error',
      detail:
        r.reason === 'not-found' ? `its shared chains ${ref.path} are absent from the bundle` : r.detail,
    };
  }
  const t = performance.now();
  try {
    if (sha256Hex(r.text) !== ref.sha256) {
      return {
        kind: 'unusable',
        reason: 'error',
        detail: `its shared chains ${ref.path} do not match the SHA-256 in their name (altered or corrupt)`,
      };
    }
    const dump = parseIptablesSave(r.text);
    assertValid({ kind: 'node', key: 'iptablesNft' }, dump);
    return { kind: 'ok', dump: freezeDump(dump) };
  } catch (err) {
    return {
      kind: 'unusable',
      reason: 'parse-error',
      detail: `its shared chains ${ref.path}: ${err instanceof Error ? err.message : String(err)}`,
    };
  } finally {
    timer.parseMs += performance.now() - t;
  }
}
