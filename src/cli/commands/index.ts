import type { Command } from 'commander';

/** Registers one command on the program. One file per command, listed here explicitly. */
export type RegisterCommand = (program: Command) => void;

export const COMMANDS: RegisterCommand[] = [];
