/**
 * Reading a bundle's manifest: the one file that says "this is a netdoctor bundle, of this
 * version, holding these files". Pure: text in, manifest or a NetdoctorError naming the file out.
 */
import { NetdoctorError } from '../../core/errors.ts';
import { GAP_REASONS, type Gap, type GapReason } from '../../core/model.ts';
import { parseItemStates } from './item-state.ts';
import { BUNDLE_FORMAT, BUNDLE_VERSION, type BundleManifest } from './layout.ts';

const SOURCES = ['live', 'lab', 'example', 'synthetic'] as const;

/**
 * A parsed manifest. `files` is undefined when the manifest does not list its files (a bundle
 * assembled by hand); the reader then looks at the directory itself.
 */
export type ParsedManifest = Omit<BundleManifest, 'files'> & { files: BundleManifest['files'] | undefined };

/** Parses and checks manifest text read from `file` (used in error messages). */
export function parseManifest(text: string, file: string): ParsedManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new NetdoctorError(
      'bundle-malformed',
      `${file} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`,
      {
        path: file,
        cause: err,
        suggestions: ['The bundle may have been edited or cut short; collect a new one.'],
      },
    );
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new NetdoctorError(
      'bundle-malformed',
      `${file} is not a JSON object, so it is not a bundle manifest.`,
      {
        path: file,
      },
    );
  }
  const m = raw as Record<string, unknown>;
  if (m['format'] !== BUNDLE_FORMAT) {
    throw new NetdoctorError(
      'bundle-foreign',
      `${file} does not describe a netdoctor bundle: its format is ${JSON.stringify(m['format'] ?? null)}, expected "${BUNDLE_FORMAT}".`,
      { path: file, suggestions: ['Point netdoctor at a bundle written by `netdoctor diagnose`.'] },
    );
  }
  const version = m['version'];
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    throw new NetdoctorError(
      'bundle-malformed',
      `${file} has no valid "version" (found ${JSON.stringify(version)}).`,
      {
        path: file,
      },
    );
  }
  if (version > BUNDLE_VERSION) {
    throw new NetdoctorError(
      'bundle-foreign',
      `${file} is bundle version ${version}, written by a newer netdoctor; this one reads up to version ${BUNDLE_VERSION}.`,
      { path: file, suggestions: ['Upgrade netdoctor to analyze this bundle.'] },
    );
  }
  const source = SOURCES.find((s) => s === m['source']) ?? 'live';
  const cluster = m['cluster'];
  const description = m['description'];
  const items = parseItemStates(m['items']);
  return {
    format: BUNDLE_FORMAT,
    version,
    createdAt: str(m['createdAt']) ?? '',
    netdoctorVersion: str(m['netdoctorVersion']) ?? 'unknown',
    source,
    ...(typeof description === 'string' ? { description } : {}),
    ...(isObject(cluster) ? { cluster: clusterInfo(cluster) } : {}),
    nodes: Array.isArray(m['nodes']) ? m['nodes'].filter((n): n is string => typeof n === 'string') : [],
    files: Array.isArray(m['files'])
      ? m['files']
          .filter((f): f is { path: string; bytes?: unknown } => isObject(f) && typeof f['path'] === 'string')
          .map((f) => ({ path: f.path, bytes: typeof f.bytes === 'number' ? f.bytes : 0 }))
      : undefined,
    gaps: Array.isArray(m['gaps']) ? m['gaps'].filter(isObject).map(manifestGap) : [],
    ...(items === undefined ? {} : { items }),
    ...(typeof m['redactions'] === 'number' ? { redactions: m['redactions'] } : {}),
  };
}

/** A manifest gap as a snapshot Gap; an unknown reason is kept in the detail, never dropped. */
export function toGap(g: BundleManifest['gaps'][number]): Gap {
  const known = (GAP_REASONS as readonly string[]).includes(g.reason);
  const reason: GapReason = known ? (g.reason as GapReason) : 'error';
  const detail = known ? g.detail : [`reason: ${g.reason}`, g.detail].filter(Boolean).join('; ');
  return {
    collector: g.collector,
    reason,
    ...(detail === undefined ? {} : { detail }),
    ...(g.node === undefined ? {} : { node: g.node }),
  };
}

function manifestGap(g: Record<string, unknown>): BundleManifest['gaps'][number] {
  const detail = str(g['detail']);
  const node = str(g['node']);
  return {
    collector: str(g['collector']) ?? 'unknown',
    reason: str(g['reason']) ?? 'error',
    ...(detail === undefined ? {} : { detail }),
    ...(node === undefined ? {} : { node }),
  };
}

function clusterInfo(c: Record<string, unknown>): NonNullable<BundleManifest['cluster']> {
  const name = str(c['name']);
  const context = str(c['context']);
  const kubernetesVersion = str(c['kubernetesVersion']);
  return {
    ...(name === undefined ? {} : { name }),
    ...(context === undefined ? {} : { context }),
    ...(kubernetesVersion === undefined ? {} : { kubernetesVersion }),
  };
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
