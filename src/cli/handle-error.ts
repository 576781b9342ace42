import { CommanderError } from 'commander';
import { redactText } from '../collect/redact/redact.ts';
import { causeChain, EXIT, NetdoctorError } from '../core/errors.ts';

/**
 * Turns any thrown value into a message on stderr and an exit code. Every line goes through
 * redaction first: messages quote files (a kubeconfig's YAML error shows the line it failed on)
 * and people paste this output into tickets as readily as a bundle.
 */
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
    process.stderr.write(safe(`${lines.join('\n')}\n`));
    return err.exitCode;
  }
  process.stderr.write(safe(`netdoctor: internal error: ${causeChain(err).join(': ')}\n`));
  if (opts.verbose && err instanceof Error && err.stack) process.stderr.write(safe(`${err.stack}\n`));
  return EXIT.internal;
}

function safe(text: string): string {
  return redactText(text).text;
}
