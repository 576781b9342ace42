/**
 * The lab's one port to the machine: running commands. Everything the lab does to namespaces,
 * links, iptables and processes goes through here, so a failure carries the command and its
 * stderr.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { NetdoctorError } from '../core/errors.ts';

export interface RunOptions {
  input?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; never throws. */
export function tryRun(cmd: string, args: readonly string[], opts: RunOptions = {}): RunResult {
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    input: opts.input,
    env: opts.env ?? process.env,
    timeout: opts.timeoutMs ?? 120_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  const code = r.status ?? (r.error ? 127 : 1);
  return { code, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}

/** Runs a command and returns its stdout; a non-zero exit is a `lab` error. */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): string {
  const r = tryRun(cmd, args, opts);
  if (r.code !== 0) {
    throw new NetdoctorError('lab', `command failed (${r.code}): ${cmd} ${args.join(' ')}`, {
      cause: r.stderr.trim().slice(-2000) || r.stdout.trim().slice(-2000),
    });
  }
  return r.stdout;
}

/**
 * Starts a long-running process detached from netdoctor (it outlives `lab up`), output appended
 * to a log file. Returns its pid.
 */
export function spawnDaemon(
  cmd: string,
  args: readonly string[],
  logFile: string,
  env?: NodeJS.ProcessEnv,
): number {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(cmd, args, {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: env ?? process.env,
    });
    if (child.pid === undefined) throw new NetdoctorError('lab', `could not start ${cmd}`);
    child.unref();
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `check` until it returns true or the deadline passes. */
export async function waitFor(
  what: string,
  check: () => boolean,
  timeoutMs: number,
  everyMs = 1000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (check()) return;
    if (Date.now() > deadline)
      throw new NetdoctorError('lab', `timed out after ${timeoutMs / 1000}s waiting for ${what}`);
    await sleep(everyMs);
  }
}
