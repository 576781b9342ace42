/**
 * The emergency half of `netdoctor fix`: `--emergency-allow-all NS...` (back up, allow
 * everything) and `--revert FIX-DIR` (restore exactly). Neither diagnoses nor plans repairs,
 * so the repair flags that steer those are refused with them rather than silently ignored.
 */
import { resolve } from 'node:path';
import type { RepairPort } from '../../cluster/port.ts';
import { NetdoctorError } from '../../core/errors.ts';
import { applyEmergency } from '../../remediate/emergency/apply.ts';
import { fixDirName } from '../../remediate/emergency/fix-dir.ts';
import { type EmergencyIo, readLivePolicies } from '../../remediate/emergency/live.ts';
import { planEmergency, revertCommandFor } from '../../remediate/emergency/plan.ts';
import { renderEmergencyPlan } from '../../remediate/emergency/render.ts';
import { revertEmergency } from '../../remediate/emergency/revert.ts';

/** The flags of `fix` this half reads or refuses. */
export interface EmergencyFlags {
  emergencyAllowAll?: string[];
  revert?: string;
  bundle?: string;
  out?: string;
  dryRun?: boolean;
  kubeconfig?: string;
  context?: string;
  only?: string[];
  force?: boolean;
  allowUpstreamChange?: boolean;
  emergencyAllowDns?: boolean;
  allowAppChange?: boolean;
  recreateBarePods?: boolean;
  allowFirewallChange?: boolean;
  manifest?: string;
}

/** Whether this run is the emergency bypass or its revert. */
export function isEmergencyRun(flags: EmergencyFlags): boolean {
  return flags.emergencyAllowAll !== undefined || flags.revert !== undefined;
}

/** The flags given that make no sense with --emergency-allow-all or --revert (pure). */
export function conflictingFlags(flags: EmergencyFlags): string[] {
  const repairOnly: [keyof EmergencyFlags, string][] = [
    ['only', '--only'],
    ['force', '--force'],
    ['allowUpstreamChange', '--allow-upstream-change'],
    ['emergencyAllowDns', '--emergency-allow-dns'],
    ['allowAppChange', '--allow-app-change'],
    ['recreateBarePods', '--recreate-bare-pods'],
    ['allowFirewallChange', '--allow-firewall-change'],
    ['manifest', '--manifest'],
  ];
  const given = repairOnly.filter(([k]) => flags[k] !== undefined && flags[k] !== false).map(([, f]) => f);
  if (flags.emergencyAllowAll !== undefined && flags.revert !== undefined)
    given.unshift('--emergency-allow-all with --revert');
  if (flags.revert !== undefined) {
    if (flags.bundle !== undefined) given.push('--bundle');
    if (flags.out !== undefined) given.push('--out');
  } else if (flags.bundle !== undefined && flags.out !== undefined) given.push('--bundle with --out');
  return given;
}

/** Runs `fix --emergency-allow-all` or `fix --revert` (see {@link isEmergencyRun}). */
export async function runEmergencyFix(
  port: RepairPort,
  flags: EmergencyFlags,
  io: EmergencyIo,
): Promise<void> {
  const conflicts = conflictingFlags(flags);
  if (conflicts.length > 0)
    throw new NetdoctorError(
      'usage',
      `--emergency-allow-all and --revert run alone (no diagnosis, no other repair): drop ${conflicts.join(', ')}`,
    );
  if (flags.revert !== undefined) {
    const r = await revertEmergency(port, resolve(flags.revert), { ...io, dryRun: flags.dryRun === true });
    if (r.status === 'reverted' && r.leftAlone.length > 0)
      process.stderr.write(
        `netdoctor: left alone, added after the backup (not netdoctor's to delete): ${r.leftAlone.join(', ')}\n`,
      );
    return;
  }
  const namespaces = flags.emergencyAllowAll ?? [];
  const now = (io.now ?? (() => new Date()))();
  // Beside the diagnosis it answers when one is given, like every other fix's directory.
  const fixDir = resolve(flags.bundle ?? flags.out ?? '.', fixDirName(now));
  const revertCommand = revertCommandFor(fixDir, {
    ...(flags.kubeconfig ? { kubeconfig: resolve(flags.kubeconfig) } : {}),
    ...(flags.context ? { context: flags.context } : {}),
  });
  const { existing, live } = await readLivePolicies(port, namespaces);
  const planned = planEmergency({
    namespaces,
    existing,
    live,
    fixDir,
    revertCommand,
    server: port.target.server,
    now,
  });
  if (planned.status === 'refused')
    throw new NetdoctorError(
      'usage',
      `--emergency-allow-all: nothing was changed:\n  ${planned.reasons.join('\n  ')}`,
    );
  io.out(renderEmergencyPlan(planned.plan));
  if (flags.dryRun) {
    io.out('dry run: nothing was changed\n');
    return;
  }
  const r = await applyEmergency(port, planned.plan, io);
  if (r.status === 'declined') return;
  io.out(`\naudit log and backups: ${r.fixDir}\nrevert with: ${r.revertCommand}\n`);
}
