import type { Command } from 'commander';

/** Registers one command on the program. One file per command, listed here explicitly. */
export type RegisterCommand = (program: Command) => void;

/**
 * A command by name, with the module that registers it. Modules load only when the command
 * runs (or for the full help), so `netdoctor agent`, which runs on every node all the time,
 * never loads the Kubernetes client and the analysis of commands it does not run.
 */
export interface CommandEntry {
  name: string;
  load: () => Promise<RegisterCommand>;
}

export const COMMANDS: readonly CommandEntry[] = [
  { name: 'agent', load: async () => (await import('./agent.ts')).registerAgent },
  { name: 'analyze', load: async () => (await import('./analyze.ts')).registerAnalyze },
  { name: 'cleanup', load: async () => (await import('./cleanup.ts')).registerCleanup },
  { name: 'demo', load: async () => (await import('./demo.ts')).registerDemo },
  { name: 'fix', load: async () => (await import('./fix.ts')).registerFix },
  { name: 'diagnose', load: async () => (await import('./diagnose.ts')).registerDiagnose },
  { name: 'lab', load: async () => (await import('./lab.ts')).registerLab },
  { name: 'perf', load: async () => (await import('./perf.ts')).registerPerf },
  { name: 'policy', load: async () => (await import('./policy.ts')).registerPolicy },
  { name: 'serve', load: async () => (await import('./serve.ts')).registerServe },
  { name: 'trace', load: async () => (await import('./trace.ts')).registerTrace },
  { name: 'validate', load: async () => (await import('./validate.ts')).registerValidate },
];
