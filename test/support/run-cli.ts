/**
 * Runs the real CLI in a child process with a private TMPDIR and a time limit, so a test of
 * hostile input can see the exit code, the output, and what was left in the temporary
 * directory, and can never hang the test runner (the child is killed at the limit).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Every TMPDIR handed out; removed when the test process exits, after the tests looked in them. */
const made: string[] = [];
process.on('exit', () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function privateTmp(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ndt-cli-tmp-'));
  made.push(dir);
  return dir;
}

export interface CliRun {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** The TMPDIR the run had, to check what it left behind. */
  tmp: string;
}

/** Runs `netdoctor ...args`; `timeoutMs` kills it (then `signal` says so). */
export function runCli(
  args: string[],
  opts: { timeoutMs?: number; env?: Record<string, string> } = {},
): CliRun {
  const tmp = privateTmp();
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['src/cli/main.ts', ...args], {
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 60_000,
    killSignal: 'SIGKILL',
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, TMPDIR: tmp, ...opts.env },
  });
  return {
    status: r.status,
    signal: r.signal,
    stdout: r.stdout,
    stderr: r.stderr,
    ms: performance.now() - t0,
    tmp,
  };
}

/** Starts `netdoctor ...args` without waiting, with its own TMPDIR. */
export function startCli(args: string[]): {
  child: ReturnType<typeof spawn>;
  tmp: string;
  stderr: () => string;
} {
  const tmp = privateTmp();
  const child = spawn(process.execPath, ['src/cli/main.ts', ...args], {
    env: { ...process.env, TMPDIR: tmp },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr?.on('data', (c: Buffer) => {
    err += c.toString();
  });
  return { child, tmp, stderr: () => err };
}
