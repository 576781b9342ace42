/**
 * Strict parsers for every numeric, duration and size flag, used through commander's argParser
 * hook. A value that is not exactly a number in range fails before anything runs, and commander
 * prints the flag with our reason and exits 2; `Number('3m')` silently being NaN (a verification
 * that never times out) is what this prevents.
 */
import { InvalidArgumentError } from 'commander';

/** Inclusive bounds of an accepted value, in the value's own unit (ms, bytes, count). */
export interface Range {
  min: number;
  max: number;
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * A duration in milliseconds: `180` (seconds, as these flags always took), `180s`, `3m`,
 * `1m30s`, `500ms`, `1h`. Fractions are allowed per part (`1.5m`); the total must be in `range`.
 */
export function parseDuration(value: string, range: Range): number {
  const v = value.trim();
  let ms: number;
  if (/^\d+(?:\.\d+)?$/.test(v)) ms = Number(v) * 1000;
  else {
    if (!/^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/.test(v)) {
      throw new InvalidArgumentError('expected a duration such as 180, 180s, 3m, 1m30s or 500ms.');
    }
    ms = 0;
    for (const [, n, unit] of v.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
      ms += Number(n) * (DURATION_UNITS[unit as string] as number);
    }
  }
  return inRange(Math.round(ms), range, formatDuration);
}

/** A whole number such as `3` or `100000` (underscores allowed as separators), within `range`. */
export function parseCount(value: string, range: Range): number {
  const v = value.trim().replaceAll('_', '');
  if (!/^\d+$/.test(v)) throw new InvalidArgumentError('expected a whole number.');
  return inRange(Number(v), range, String);
}

/** A plain positive number such as `200` or `50.5`, within `range`. */
export function parseNumber(value: string, range: Range): number {
  const v = value.trim();
  if (!/^\d+(?:\.\d+)?$/.test(v)) throw new InvalidArgumentError('expected a number.');
  return inRange(Number(v), range, String);
}

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1000,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1000 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1000 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1000 ** 4,
  tib: 1024 ** 4,
};

/** A size in bytes: `1048576`, `512MiB`, `4GiB`, `4G` (binary), `4GB` (decimal), within `range`. */
export function parseSize(value: string, range: Range): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(value.trim());
  const unit = SIZE_UNITS[(m?.[2] ?? 'x').toLowerCase()];
  if (!m || unit === undefined)
    throw new InvalidArgumentError('expected a size such as 512MiB, 4GiB or 1048576.');
  return inRange(Math.round(Number(m[1]) * unit), range, String);
}

function inRange(n: number, { min, max }: Range, show: (n: number) => string): number {
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new InvalidArgumentError(`must be between ${show(min)} and ${show(max)}.`);
  }
  return n;
}

function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** The argParser for a duration flag. */
export const duration =
  (range: Range) =>
  (value: string): number =>
    parseDuration(value, range);
/** The argParser for a count flag. */
export const count =
  (range: Range) =>
  (value: string): number =>
    parseCount(value, range);
/** The argParser for a size flag. */
export const size =
  (range: Range) =>
  (value: string): number =>
    parseSize(value, range);
/** The argParser for a plain number flag. */
export const number =
  (range: Range) =>
  (value: string): number =>
    parseNumber(value, range);
