/**
 * netdoctor's program: builds the command tree from the explicit command list, runs it, and is
 * the one place where errors become messages and exit codes. Loaded by main.ts once the Node.js
 * version is known to be new enough.
 */
import { Command, CommanderError } from 'commander';
import { installSignalCleanup, runCleanups } from '../core/cleanup.ts';
import { NETDOCTOR_VERSION } from '../core/version.ts';
import { COMMANDS, type CommandEntry } from './commands/index.ts';
import { handleError } from './handle-error.ts';

const EXIT_CODES_HELP = `
Exit codes:
  0   healthy
  1   problems found
  2   usage error, or a bundle that cannot be read or is over a bundle limit
  3   cannot reach or read the cluster
  4   a repair failed verification and was rolled back
  5   inconclusive: too little could be collected or probed to call the cluster healthy
      (the report says what)
  70  internal error: a bug in netdoctor (please report it with the message)
`;

/** The command `argv` names (its first word that is not an option), if it is one of ours. */
function namedCommand(argv: readonly string[]): CommandEntry | undefined {
  const word = argv.slice(2).find((a) => !a.startsWith('-'));
  return COMMANDS.find((c) => c.name === word);
}

/**
 * The program with the command `argv` names, or with every command when it names none (help,
 * a typo that wants suggestions).
 */
export async function buildProgram(argv: readonly string[]): Promise<Command> {
  const program = new Command('netdoctor')
    .description("Finds why a Kubernetes cluster's network is broken, proves it, and repairs it safely.")
    .version(NETDOCTOR_VERSION)
    .option('-v, --verbose', 'more detail on stderr')
    .showSuggestionAfterError()
    .addHelpText('after', EXIT_CODES_HELP)
    .exitOverride();
  const named = namedCommand(argv);
  for (const entry of named ? [named] : COMMANDS) (await entry.load())(program);
  return program;
}

async function main(argv: string[]): Promise<number> {
  try {
    const program = await buildProgram(argv);
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (
      err instanceof CommanderError &&
      (err.code === 'commander.helpDisplayed' || err.code === 'commander.version')
    ) {
      return 0;
    }
    return handleError(err, { verbose: argv.includes('-v') || argv.includes('--verbose') });
  }
}

/** Runs netdoctor with `argv` and exits the process with its exit code. */
export async function runAndExit(argv: string[]): Promise<never> {
  // Objects a command created and has not removed yet (agents, probe pods) are deleted on
  // SIGINT / SIGTERM (then exit 130) and at the normal end of every command.
  installSignalCleanup((code) => process.exit(code));
  const code = await main(argv);
  await runCleanups((name, err) =>
    process.stderr.write(`netdoctor: cleanup of ${name} failed: ${String(err)}\n`),
  );
  // Writes to a pipe are asynchronous: exiting at once would cut a large report short (e.g.
  // `netdoctor analyze -o json | jq`). Exit once both streams have flushed what was written.
  await Promise.all([process.stdout, process.stderr].map((s) => new Promise((done) => s.write('', done))));
  process.exit(code);
}
