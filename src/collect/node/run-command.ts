/**
 * Runs a local process with text on stdin and a time limit; the side-effecting half shared by
 * the local, SSH and talosctl ways onto a node. Never throws: how it went is the result.
 */
import { spawn } from 'node:child_process';

export type CommandResult =
  | { status: 'exited'; code: number; stdout: string; stderr: string }
  | { status: 'timeout'; stdout: string; stderr: string }
  | { status: 'spawn-error'; error: string };

export function runCommand(
  argv: readonly string[],
  opts: { input?: string; timeoutMs: number },
): Promise<CommandResult> {
  const [file, ...args] = argv;
  if (file === undefined) return Promise.resolve({ status: 'spawn-error', error: 'empty command' });
  return new Promise((resolve) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ status: 'spawn-error', error: e.message });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      resolve(
        timedOut
          ? { status: 'timeout', stdout, stderr }
          : { status: 'exited', code: code ?? 1, stdout, stderr },
      );
    });
    child.stdin.on('error', () => {
      // The process exited before reading all of stdin; its exit status tells the story.
    });
    child.stdin.end(opts.input ?? '');
  });
}
