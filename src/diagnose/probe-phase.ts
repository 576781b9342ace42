/**
 * The probe phase's seam: the probe runner (src/probe/run-probes.ts) as diagnose calls it. Tests
 * that must not create probe pods substitute another function of the same type.
 */
import { type ProbeOptions, type ProbeRun, runProbes } from '../probe/run-probes.ts';

export type RunProbes = typeof runProbes;
export type { ProbeOptions, ProbeRun };
export { runProbes };
