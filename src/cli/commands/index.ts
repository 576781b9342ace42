import type { Command } from 'commander';
import { registerAnalyze } from './analyze.ts';
import { registerCleanup } from './cleanup.ts';
import { registerDemo } from './demo.ts';
import { registerDiagnose } from './diagnose.ts';
import { registerFix } from './fix.ts';
import { registerLab } from './lab.ts';
import { registerPerf } from './perf.ts';
import { registerPolicy } from './policy.ts';
import { registerServe } from './serve.ts';
import { registerTrace } from './trace.ts';
import { registerValidate } from './validate.ts';

/** Registers one command on the program. One file per command, listed here explicitly. */
export type RegisterCommand = (program: Command) => void;

export const COMMANDS: RegisterCommand[] = [
  registerAnalyze,
  registerCleanup,
  registerDemo,
  registerFix,
  registerDiagnose,
  registerLab,
  registerPerf,
  registerPolicy,
  registerServe,
  registerTrace,
  registerValidate,
];
