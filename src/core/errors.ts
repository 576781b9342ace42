/**
 * User-facing errors: a code, a message, suggestions, the cause chain and the exit code. They
 * are thrown anywhere and turned into output and an exit status in one place (cli/run.ts).
 */

/**
 * The exit codes. `internal` (70, sysexits' EX_SOFTWARE) is netdoctor's own bug: kept apart from
 * 1, "problems found", so a script never mistakes a crash for a diagnosis.
 */
export const EXIT = {
  healthy: 0,
  problems: 1,
  usage: 2,
  cluster: 3,
  repairFailed: 4,
  inconclusive: 5,
  internal: 70,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export const ERROR_CODES = [
  'usage',
  'bundle-not-found',
  'bundle-malformed',
  'bundle-foreign',
  'bundle-limit',
  'kubeconfig-invalid',
  'cluster-unreachable',
  'forbidden',
  'lab',
  'repair-failed',
  'inconclusive',
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

const EXIT_BY_CODE: Record<ErrorCode, ExitCode> = {
  usage: EXIT.usage,
  'bundle-not-found': EXIT.usage,
  'bundle-malformed': EXIT.usage,
  'bundle-foreign': EXIT.usage,
  'bundle-limit': EXIT.usage,
  'kubeconfig-invalid': EXIT.cluster,
  'cluster-unreachable': EXIT.cluster,
  forbidden: EXIT.cluster,
  lab: EXIT.problems,
  'repair-failed': EXIT.repairFailed,
  inconclusive: EXIT.inconclusive,
  internal: EXIT.internal,
};

export interface NetdoctorErrorOptions {
  suggestions?: string[];
  cause?: unknown;
  /** The file or object the error is about, e.g. the bundle file that failed to parse. */
  path?: string;
}

/** An error meant for the person running netdoctor. */
export class NetdoctorError extends Error {
  readonly code: ErrorCode;
  readonly suggestions: string[];
  readonly path: string | undefined;
  readonly exitCode: ExitCode;

  constructor(code: ErrorCode, message: string, options: NetdoctorErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'NetdoctorError';
    this.code = code;
    this.suggestions = options.suggestions ?? [];
    this.path = options.path;
    this.exitCode = EXIT_BY_CODE[code];
  }
}

/** The messages of an error and its causes, outermost first. */
export function causeChain(err: unknown): string[] {
  const out: string[] = [];
  let cur: unknown = err;
  for (let depth = 0; cur !== undefined && cur !== null && depth < 8; depth++) {
    out.push(cur instanceof Error ? cur.message : String(cur));
    cur = cur instanceof Error ? cur.cause : undefined;
  }
  return out;
}
