/**
 * How much of a bundle netdoctor is willing to read. Bundles arrive from other people's machines
 * (tickets, chat), so an archive may be a bomb: a megabyte that expands to gigabytes, or to
 * hundreds of thousands of tiny files. Every limit has a default that fits a real 5,000-node
 * cluster with room to spare, and a flag to raise it for a bundle you trust.
 */
import { NetdoctorError } from '../../core/errors.ts';

/** The limits one bundle read runs under. */
export interface BundleLimits {
  /** Archive members, or files a directory bundle lists (every member counts, read or not). */
  maxEntries: number;
  /** Bytes of all files read, and of the uncompressed tar stream of an archive. */
  maxTotalBytes: number;
  /** Bytes of any one file. */
  maxFileBytes: number;
  /** Uncompressed bytes per compressed byte of an archive, checked once past {@link RATIO_FLOOR_BYTES}. */
  maxExpansionRatio: number;
}

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

/**
 * Sized from the benchmark's synthetic bundles: 500 nodes and 15,000 pods are 5,013 files and
 * 271 MB (pods.json 15 MB) that gzip 7 times, and the 5,000-node bundle is about ten times that.
 * The defaults leave room above it; a bomb is thousands of times over.
 */
export const DEFAULT_LIMITS: BundleLimits = {
  maxEntries: 100_000,
  maxTotalBytes: 4 * GiB,
  maxFileBytes: 1 * GiB,
  maxExpansionRatio: 200,
};

/**
 * Below this many uncompressed bytes the ratio is not checked: a small bundle of near-empty
 * iptables dumps can legitimately compress 500 times, and at this size it is harmless anyway.
 */
export const RATIO_FLOOR_BYTES = 64 * MiB;

/** Each limit's name as the command line spells its flag, so the message says how to raise it. */
export const LIMIT_FLAGS: Record<keyof BundleLimits, string> = {
  maxEntries: '--max-bundle-entries',
  maxTotalBytes: '--max-bundle-bytes',
  maxFileBytes: '--max-bundle-file-bytes',
  maxExpansionRatio: '--max-bundle-expansion',
};

const WHAT: Record<keyof BundleLimits, string> = {
  maxEntries: 'entries',
  maxTotalBytes: 'bytes in total',
  maxFileBytes: 'bytes in one file',
  maxExpansionRatio: 'times expansion',
};

/** Fills in defaults for the limits not given. */
export function resolveLimits(given: Partial<BundleLimits> | undefined): BundleLimits {
  return { ...DEFAULT_LIMITS, ...given };
}

/**
 * The error for a bundle over `limit` (exit 2). `where` names the bundle, and the file when one
 * file is the reason. Nothing of the bundle's content goes into the message.
 */
export function limitExceeded(
  limit: keyof BundleLimits,
  limits: BundleLimits,
  where: string,
  detail: string,
  /** What the bundle needs, when known, so the suggested value is enough. */
  needed?: number,
): NetdoctorError {
  const value = limits[limit];
  const shown = limit === 'maxTotalBytes' || limit === 'maxFileBytes' ? formatBytes(value) : String(value);
  return new NetdoctorError(
    'bundle-limit',
    `${where} exceeds the bundle limit of ${shown} ${WHAT[limit]} (${LIMIT_FLAGS[limit]}): ${detail}. Reading stopped there.`,
    {
      path: where,
      suggestions: [
        `If you trust this bundle, raise the limit: ${LIMIT_FLAGS[limit]} ${suggestRaise(limit, Math.max(value * 4, needed ?? 0))}`,
      ],
    },
  );
}

function suggestRaise(limit: keyof BundleLimits, value: number): string {
  if (limit === 'maxTotalBytes' || limit === 'maxFileBytes')
    return formatBytes(Math.ceil(value / 1024 ** 2) * 1024 ** 2).replace(' ', '');
  return String(Math.ceil(value));
}

/** `1.5 GiB`, `64 MiB`, `512 B`: the units the size flags accept. */
export function formatBytes(n: number): string {
  const units = [
    ['GiB', GiB],
    ['MiB', MiB],
    ['KiB', 1024],
  ] as const;
  for (const [unit, size] of units) {
    if (n >= size) {
      const v = n / size;
      return `${Number.isInteger(v) ? v : v.toFixed(1)} ${unit}`;
    }
  }
  return `${n} B`;
}
