import { CommanderError } from 'commander';
import { causeChain, EXIT, NetdoctorError } from '../core/errors.ts';

/** Turns any thrown value into a message on stderr and an exit code. */
export function handleError(err: unknown, opts: { verbose: boolean }): number {
  if (err instanceof CommanderError) {
    // commander has already printed its own message.
    return EXIT.usage;
  }
  if (err instanceof NetdoctorError) {
    const lines = [`netdoctor: ${err.message}`];
    if (err.path) lines.push(`  file: ${err.path}`);
    for (const c of causeChain(err.cause)) lines.push(`  because: ${c}`);
    for (const s of err.suggestions) lines.push(`  try: ${s}`);
    process.stderr.write(`${lines.join('\n')}\n`);
    return err.exitCode;
  }
  process.stderr.write(`netdoctor: internal error: ${causeChain(err).join(': ')}\n`);
  if (opts.verbose && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  return EXIT.problems;
}
