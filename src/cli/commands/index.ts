import type { Command } from 'commander';
import { registerAnalyze } from './analyze.ts';
import { registerDemo } from './demo.ts';
import { registerLab } from './lab.ts';
import { registerPolicy } from './policy.ts';
import { registerTrace } from './trace.ts';

/** Registers one command on the program. One file per command, listed here explicitly. */
export type RegisterCommand = (program: Command) => void;

export const COMMANDS: RegisterCommand[] = [
  registerAnalyze,
  registerDemo,
  registerLab,
  registerPolicy,
  registerTrace,
];
