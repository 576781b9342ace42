/**
 * Whether terminal output may carry ANSI colour. Kept apart from the renderers so they stay
 * pure: the caller asks here once, then passes `{ color }` down.
 */

/** The part of a stream that matters for the decision (process.stdout, process.stderr, a test double). */
export interface StreamLike {
  isTTY?: boolean;
}

/**
 * Colour only on a TTY, never when NO_COLOR is set to a non-empty value (no-color.org) or the
 * terminal says it cannot (`TERM=dumb`). Files, pipes and CI logs get plain text, so a saved
 * diagnosis-summary.txt never contains escape codes.
 */
export function shouldUseColor(
  stream: StreamLike,
  env: Readonly<Record<string, string | undefined>> = process.env,
): boolean {
  if (stream.isTTY !== true) return false;
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') return false;
  if (env['TERM'] === 'dumb') return false;
  return true;
}
