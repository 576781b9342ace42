/**
 * The record of what `lab up` made, written as it goes, so `lab down` can undo a half-finished
 * or crashed `up` exactly; `down` also sweeps by the name prefix for anything the record missed.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { NetdoctorError } from '../core/errors.ts';
import type { LabProxyMode } from './proxy-mode.ts';

export interface LabProcess {
  /** e.g. "etcd", "ndlab-node2/kubelet". */
  name: string;
  pid: number;
  node?: string;
}

/** A fault in force, so `heal` knows what to undo. */
export interface ActiveFault {
  id: string;
  node?: string;
  /** Whatever the fault's inject recorded for its heal (saved config, old values). */
  data: Record<string, string>;
}

export interface LabState {
  createdAt: string;
  nodeCount: number;
  netns: string[];
  /** Links made in the root namespace. */
  hostLinks: string[];
  /** Directories made on the machine only as mount points; removed when empty. */
  hostDirs: string[];
  processes: LabProcess[];
  /** Pid of the process that holds each node's mount namespace. */
  holders: Record<string, number>;
  faults: ActiveFault[];
  phase: 'starting' | 'up' | 'failed';
  /** kube-proxy's mode; absent in states written before it could be chosen (iptables). */
  proxyMode?: LabProxyMode;
}

export function emptyState(nodeCount: number, proxyMode: LabProxyMode = 'iptables'): LabState {
  return {
    createdAt: new Date().toISOString(),
    nodeCount,
    proxyMode,
    netns: [],
    hostLinks: [],
    hostDirs: [],
    processes: [],
    holders: {},
    faults: [],
    phase: 'starting',
  };
}

export function readState(file: string): LabState | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LabState;
  } catch {
    return undefined;
  }
}

/** The state of a lab that is up; a clear error naming the remedy otherwise. */
export function requireUpState(file: string): LabState {
  const state = readState(file);
  if (state?.phase !== 'up') {
    throw new NetdoctorError('lab', 'the lab is not up', { suggestions: ['netdoctor lab up'] });
  }
  return state;
}

/** Atomic write: a crash mid-write leaves the previous record, never half a file. */
export function writeState(file: string, state: LabState): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}

/** A state bound to its file: every change is saved at once. */
export class StateRecorder {
  readonly file: string;
  readonly state: LabState;

  constructor(file: string, state: LabState) {
    this.file = file;
    this.state = state;
    writeState(file, state);
  }

  update(change: (s: LabState) => void): void {
    change(this.state);
    writeState(this.file, this.state);
  }
}
