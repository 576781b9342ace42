/**
 * Progress for long commands (collect, probe, analyze, repair). On a TTY: a spinner with the
 * running phase and its elapsed time, replaced by a ✓/✗ line when the phase ends. Anywhere else
 * (a pipe, a CI log, a file): one plain line per finished phase and never an escape code, so logs
 * stay greppable. It writes to the stream it is given (stderr by convention), so stdout stays
 * clean for `-o json`.
 */
import pc from 'picocolors';
import { shouldUseColor } from './color.ts';

/** The part of a writable stream progress needs. */
export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

export interface ProgressOptions {
  /** Force the interactive (spinner) display on or off; default: the stream is a TTY. */
  interactive?: boolean;
  /** Colour on the interactive display; default: `shouldUseColor(stream)`. */
  color?: boolean;
  /** Clock in ms; tests pass a fake one. */
  now?: () => number;
  /** Spinner frame interval in ms (default 80). */
  intervalMs?: number;
}

export interface Progress {
  /** A phase starts (e.g. `collect`); the detail is shown beside it while it runs. */
  phase(name: string, detail?: string): void;
  /** A phase ended well, with an optional result (`12 files`). */
  done(name: string, detail?: string): void;
  /** A phase failed; the detail says why. */
  fail(name: string, detail?: string): void;
  /** A phase was not run; the detail says why. */
  skip(name: string, detail?: string): void;
  /** A message between phases, written above the spinner. */
  note(message: string): void;
  /** Clears the spinner and stops its timer; safe to call more than once. */
  stop(): void;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const CLEAR_LINE = '\r\u001b[2K';

type End = 'done' | 'fail' | 'skip';

/** Creates a progress display on `stream` (normally process.stderr). */
export function createProgress(stream: ProgressStream, opts: ProgressOptions = {}): Progress {
  const interactive = opts.interactive ?? stream.isTTY === true;
  const now = opts.now ?? (() => performance.now());
  const started = new Map<string, { at: number; detail?: string }>();

  if (!interactive) return plainProgress(stream, now, started);

  const c = pc.createColors(opts.color ?? shouldUseColor(stream));
  const intervalMs = opts.intervalMs ?? 80;
  let frame = 0;
  let timer: ReturnType<typeof setInterval> | undefined;
  let drawn = false;

  const draw = (): void => {
    // Only the latest running phase is drawn; phases usually run one after another.
    const last = [...started.entries()].at(-1);
    if (last === undefined) return;
    const [name, s] = last;
    const spinner = c.cyan(FRAMES[frame % FRAMES.length] ?? '-');
    const detail = s.detail === undefined ? '' : ` ${c.dim(s.detail)}`;
    stream.write(`${CLEAR_LINE}${spinner} ${name}${detail} ${c.dim(elapsed(now() - s.at))}`);
    drawn = true;
  };
  const clear = (): void => {
    if (drawn) stream.write(CLEAR_LINE);
    drawn = false;
  };
  const ensureTimer = (): void => {
    if (timer !== undefined) return;
    timer = setInterval(() => {
      frame += 1;
      draw();
    }, intervalMs);
    // A spinner must never keep the process alive after the work is done.
    timer.unref?.();
  };
  const stopTimer = (): void => {
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
  };
  const end = (kind: End, name: string, detail?: string): void => {
    const s = started.get(name);
    started.delete(name);
    clear();
    const mark = kind === 'done' ? c.green('✓') : kind === 'fail' ? c.red('✗') : c.dim('–');
    const time = s === undefined ? '' : ` ${c.dim(`(${elapsed(now() - s.at)})`)}`;
    const text = detail === undefined ? '' : `  ${kind === 'fail' ? c.red(detail) : detail}`;
    stream.write(`${mark} ${name}${text}${time}\n`);
    if (started.size === 0) stopTimer();
    else draw();
  };

  return {
    phase(name, detail) {
      started.delete(name);
      started.set(name, detail === undefined ? { at: now() } : { at: now(), detail });
      draw();
      ensureTimer();
    },
    done: (name, detail) => end('done', name, detail),
    fail: (name, detail) => end('fail', name, detail),
    skip: (name, detail) => end('skip', name, detail),
    note(message) {
      clear();
      stream.write(`${message}\n`);
      draw();
    },
    stop() {
      stopTimer();
      clear();
      started.clear();
    },
  };
}

function plainProgress(
  stream: ProgressStream,
  now: () => number,
  started: Map<string, { at: number; detail?: string }>,
): Progress {
  const end = (kind: End, name: string, detail?: string): void => {
    const s = started.get(name);
    started.delete(name);
    const time = s === undefined ? '' : ` (${elapsed(now() - s.at)})`;
    const label = kind === 'done' ? 'ok  ' : kind === 'fail' ? 'FAIL' : 'skip';
    stream.write(`[${label}] ${name}${detail === undefined ? '' : `: ${detail}`}${time}\n`);
  };
  return {
    phase(name, detail) {
      started.set(name, detail === undefined ? { at: now() } : { at: now(), detail });
    },
    done: (name, detail) => end('done', name, detail),
    fail: (name, detail) => end('fail', name, detail),
    skip: (name, detail) => end('skip', name, detail),
    note(message) {
      stream.write(`${message}\n`);
    },
    stop() {
      started.clear();
    },
  };
}

/** 850 -> `0.9s`, 75_000 -> `1m15s`. */
export function elapsed(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.floor(s - m * 60)).padStart(2, '0')}s`;
}
