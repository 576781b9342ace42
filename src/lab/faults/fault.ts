/** One fault of PRODUCT.md's catalog: injected and healed with the commands a real outage involves. */
import type { RootCauseCategory } from '../../core/model.ts';
import type { LabPaths } from '../paths.ts';
import type { LabProxyMode } from '../proxy-mode.ts';
import type { RunResult } from '../shell.ts';
import type { LabNode, LabTopology } from '../topology.ts';

export interface FaultContext {
  paths: LabPaths;
  topology: LabTopology;
  /** The node the fault hits (`--node`, else the first worker). */
  node: LabNode;
  /** Another node, for faults between two nodes. */
  peer: LabNode;
  /** Runs a shell script in a node's network and mount namespaces (as root on that node). */
  onNode: (node: LabNode, script: string) => string;
  tryOnNode: (node: LabNode, script: string) => RunResult;
  /** Runs a shell script in the switch's namespace. */
  onSwitch: (script: string) => string;
  kubectl: (args: readonly string[], input?: string) => string;
  tryKubectl: (args: readonly string[]) => RunResult;
  /** Re-applies one add-on's manifest by id (heal of "someone deleted it"). */
  reapplyAddon: (id: string) => void;
}

export interface Fault {
  /** Stable id, the CLI's `lab break <id>`. */
  id: string;
  summary: string;
  /** The root cause netdoctor is expected to report (PRODUCT.md). */
  expectedRootCause: RootCauseCategory;
  /** Whether `--node` picks where it lands. */
  scope: 'node' | 'cluster';
  /** The only kube-proxy mode the fault exists in; absent: any mode. */
  proxyMode?: LabProxyMode;
  /** Injects; returns what heal needs (saved configuration, old values). */
  inject: (ctx: FaultContext) => Promise<Record<string, string>>;
  heal: (ctx: FaultContext, data: Record<string, string>) => Promise<void>;
  /**
   * What is left of the fault after heal: its rules, routes, sysctls or objects, one line each;
   * empty when the lab is as it was. Checked after every heal, so that one fault's leftovers
   * never pass for the next fault's symptoms.
   */
  residue: (ctx: FaultContext, data: Record<string, string>) => string[];
}

/** The lines of a node command's output that match `re` (for residue checks). */
export function matchingLines(
  ctx: FaultContext,
  node: FaultContext['node'],
  script: string,
  re: RegExp,
): string[] {
  return ctx
    .tryOnNode(node, script)
    .stdout.split('\n')
    .filter((l) => re.test(l));
}
