/**
 * Tears the lab down: every process, namespace, link, cgroup, mount and file it made. Works from
 * the state file and also sweeps by the name prefix, so a crashed or half-finished `up` (or a
 * lost state file) still ends clean. Every step tolerates what is already gone.
 */
import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { labNetnsPresent } from './network.ts';
import { CGROUP_ROOT, cgroupHierarchies } from './node-runtime.ts';
import type { LabPaths } from './paths.ts';
import { isAlive, sleep, tryRun } from './shell.ts';
import { readState } from './state.ts';
import { NET, PREFIX } from './topology.ts';

export interface DownReport {
  killed: number;
  netns: string[];
  removedPaths: string[];
}

/** Every pid in the lab's namespaces and cgroups, and the processes the state recorded. */
function labPids(netns: string[], recorded: number[]): Set<number> {
  const pids = new Set<number>(recorded.filter(isAlive));
  for (const ns of netns) {
    for (const l of tryRun('ip', ['netns', 'pids', ns]).stdout.split('\n')) {
      const pid = Number(l.trim());
      if (pid > 1) pids.add(pid);
    }
  }
  for (const dir of labCgroupDirs()) {
    collectCgroupProcs(dir, pids);
  }
  pids.delete(process.pid);
  return pids;
}

function collectCgroupProcs(dir: string, into: Set<number>): void {
  try {
    for (const l of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n')) {
      const pid = Number(l.trim());
      if (pid > 1) into.add(pid);
    }
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) collectCgroupProcs(join(dir, e.name), into);
    }
  } catch {
    // Gone while we looked: nothing to collect.
  }
}

function labCgroupDirs(): string[] {
  const out: string[] = [];
  for (const h of existsSync(CGROUP_ROOT) ? cgroupHierarchies({ includeUnified: true }) : []) {
    const base = join(CGROUP_ROOT, h);
    for (const e of readdirSync(base)) {
      if (e.startsWith(`${PREFIX}-`)) out.push(join(base, e));
    }
  }
  return out;
}

/** rmdir a cgroup tree, children first (cgroup directories cannot be removed recursively). */
function removeCgroupTree(dir: string): void {
  try {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) removeCgroupTree(join(dir, e.name));
    }
    rmdirSync(dir);
  } catch {
    // Still busy or already gone; a second `down` retries.
  }
}

/** Mount points in the machine's own mount namespace that lie under the lab's directories. */
function labMounts(paths: LabPaths): string[] {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m.startsWith(`${paths.state}/`) || m === paths.state);
  return mounts.sort((a, b) => b.length - a.length);
}

export async function labDown(paths: LabPaths): Promise<DownReport> {
  const state = readState(paths.stateFile);
  const netns = [...new Set([...(state?.netns ?? []), ...labNetnsPresent(PREFIX)])];
  const recorded = (state?.processes ?? []).map((p) => p.pid);
  let killed = 0;

  // Polite first (kubelet and containerd shut down cleanly), then certain.
  for (const signal of ['SIGTERM', 'SIGKILL', 'SIGKILL', 'SIGKILL'] as const) {
    const pids = labPids(netns, recorded);
    if (pids.size === 0) break;
    for (const pid of pids) {
      try {
        process.kill(pid, signal);
        if (signal === 'SIGKILL') killed++;
      } catch {
        // Already exited.
      }
    }
    await sleep(signal === 'SIGTERM' ? 1500 : 500);
  }

  for (const m of labMounts(paths)) tryRun('umount', ['-l', m]);
  for (const link of [...(state?.hostLinks ?? []), NET.hostLink]) {
    if (existsSync(`/sys/class/net/${link}`)) tryRun('ip', ['link', 'del', link]);
  }
  for (const ns of netns) tryRun('ip', ['netns', 'del', ns]);
  for (const dir of labCgroupDirs()) removeCgroupTree(dir);

  const removedPaths: string[] = [];
  if (existsSync(paths.state)) {
    rmSync(paths.state, { recursive: true, force: true });
    removedPaths.push(paths.state);
  }
  // Mount points made on the machine, deepest first, only while still empty.
  for (const d of [...(state?.hostDirs ?? [])].sort((a, b) => b.length - a.length)) {
    try {
      if (statSync(d).isDirectory() && readdirSync(d).length === 0) {
        rmdirSync(d);
        removedPaths.push(d);
      }
    } catch {
      // Already gone.
    }
  }
  return { killed, netns, removedPaths };
}
