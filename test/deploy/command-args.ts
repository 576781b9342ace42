/**
 * Parses a container's arguments with netdoctor's own command definitions (the real commander
 * options with their value parsers), so a flag the command does not have, or a value it would
 * refuse, fails a test instead of a pod crash-looping in a cluster.
 */
import { Command } from 'commander';
import { COMMANDS } from '../../src/cli/commands/index.ts';

/** The command's long flags, such as `--peers-file`. */
export async function flagsOf(name: string): Promise<Set<string>> {
  return new Set((await commandOf(name)).cmd.options.flatMap((o) => (o.long ? [o.long] : [])));
}

/** The parsed flags of `args` (the first being the command's name); throws as the CLI would exit 2. */
export async function parseArgs(args: readonly string[]): Promise<Record<string, unknown>> {
  const { program, cmd } = await commandOf(args[0] ?? '');
  let flags: Record<string, unknown> | undefined;
  // The command's own action would start an agent or a server: only its parsing is wanted.
  cmd.exitOverride().action((f: Record<string, unknown>) => {
    flags = f;
  });
  cmd.configureOutput({ writeErr: () => {}, writeOut: () => {} });
  await program.parseAsync([...args], { from: 'user' });
  if (!flags) throw new Error(`${args.join(' ')}: the command did not run`);
  return flags;
}

async function commandOf(name: string): Promise<{ program: Command; cmd: Command }> {
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) throw new Error(`netdoctor has no command ${name}`);
  const program = new Command('netdoctor').exitOverride();
  (await entry.load())(program);
  const cmd = program.commands.find((c) => c.name() === name);
  if (!cmd) throw new Error(`${name} did not register itself`);
  return { program, cmd };
}
