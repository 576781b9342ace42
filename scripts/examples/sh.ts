/**
 * Process helpers for the example recorder: every command runs inside a network namespace the
 * recorder created (prefix `ndx-`), and every background process is tracked so cleanup can end
 * it by its own pid.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `argv` in `ns` (or in the current namespace when `ns` is null) and throws on failure. */
export function run(ns: string | null, argv: string[], input?: string): string {
  const full = ns === null ? argv : ['ip', 'netns', 'exec', ns, ...argv];
  const [cmd, ...args] = full;
  return execFileSync(cmd!, args, {
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
    ...(input === undefined ? {} : { input }),
  });
}

/** Runs a shell snippet in `ns` and throws on failure. */
export function sh(ns: string | null, script: string): string {
  return run(ns, ['sh', '-ec', script]);
}

/** Like run, but never throws: returns exit code and both streams. */
export function tryRun(ns: string | null, argv: string[], timeoutMs = 15_000): Promise<RunResult> {
  const full = ns === null ? argv : ['ip', 'netns', 'exec', ns, ...argv];
  const [cmd, ...args] = full;
  return new Promise((resolve) => {
    execFile(
      cmd!,
      args,
      { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Synchronous variant of tryRun. */
export function tryRunSync(ns: string | null, argv: string[]): RunResult {
  try {
    return { code: 0, stdout: run(ns, argv), stderr: '' };
  } catch (e) {
    const err = e as { status?: number; stdout?: string; stderr?: string };
    return { code: err.status ?? 1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

const daemons = new Set<ChildProcess>();

/** Starts a long-running process in `ns`; it is ended by stopDaemons. */
export function daemon(ns: string, argv: string[]): ChildProcess {
  const child = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.resume();
  child.stderr?.resume();
  daemons.add(child);
  child.on('exit', () => daemons.delete(child));
  return child;
}

export function stopDaemon(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve();
      return;
    }
    child.once('exit', () => resolve());
    child.kill(signal);
    setTimeout(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }, 3000).unref();
  });
}

export async function stopDaemons(): Promise<void> {
  await Promise.all([...daemons].map((c) => stopDaemon(c)));
}

/** Synchronous last-resort kill (signal handlers, exit). */
export function killDaemonsSync(): void {
  for (const c of daemons) {
    try {
      c.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
