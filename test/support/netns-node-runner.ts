/**
 * A NodeRunner whose "nodes" are network namespaces on this machine: each command is wrapped
 * exactly as the node-command pod wraps it (node-exec.ts wrapCommand) and run with `ip netns
 * exec`, and its output is split the same way (parseRunLog). The repair steps' iptables and ip
 * commands thus run for real against a kernel, with the recorded nodes' rules loaded into the
 * namespaces; only the pod around them is missing.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RepairPort } from '../../src/cluster/port.ts';
import { parseRunLog, wrapCommand } from '../../src/remediate/node-exec.ts';
import type { NodeRun, NodeRunner, RepairExec } from '../../src/remediate/step.ts';
import { nsExec } from './netns.ts';

/** The shells the wrapped command can run under: this machine's sh, or busybox's (the toolbox's). */
export const SHELLS: { name: string; prefix: string[] }[] = [
  { name: 'sh', prefix: [] },
  ...(spawnSync('busybox', ['true']).status === 0 ? [{ name: 'busybox sh', prefix: ['busybox'] }] : []),
];

export class NetnsNodeRunner implements NodeRunner {
  readonly calls: { node: string; argv: string[] }[] = [];
  readonly #nsOf: Record<string, string>;
  readonly #prefix: string[];

  /** `prefix` goes before the wrapper's `sh -c` (`['busybox']` runs it under busybox sh). */
  constructor(nsOf: Record<string, string>, prefix: string[] = []) {
    this.#nsOf = nsOf;
    this.#prefix = prefix;
  }

  async run(node: string, argv: string[], opts: { hostMount: boolean }): Promise<NodeRun> {
    const ns = this.#nsOf[node];
    if (!ns) throw new Error(`no namespace stands for node ${node}`);
    if (opts.hostMount) throw new Error('a test namespace has no host mount namespace to enter');
    this.calls.push({ node, argv });
    const r = spawnSync('ip', ['netns', 'exec', ns, ...this.#prefix, ...wrapCommand(argv, false)], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    if (r.error) throw r.error;
    return parseRunLog(r.stdout);
  }
}

/** Loads a recorded node's iptables-nft and iptables-legacy rules into namespace `ns`. */
export function loadNodeRules(ns: string, bundleDir: string, node: string): void {
  for (const [file, restore] of [
    ['iptables-nft.txt', 'iptables-nft-restore'],
    ['iptables-legacy.txt', 'iptables-legacy-restore'],
  ] as const) {
    const text = readFileSync(join(bundleDir, 'nodes', node, file), 'utf8');
    if (text.trim()) nsExec(ns, [restore, '-w', '5'], text.endsWith('\n') ? text : `${text}\n`);
  }
}

/** A backend's ruleset in `ns` without comments and counters, for before/after comparisons. */
export function rulesOf(ns: string, backend: 'nft' | 'legacy', table?: string): string {
  return nsExec(ns, [`iptables-${backend}-save`, ...(table ? ['-t', table] : [])])
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.replace(/ \[\d+:\d+\]$/, ''))
    .join('\n');
}

/** A RepairPort that fails every call: the steps under test must not touch the API. */
export function noApiPort(): RepairPort {
  return new Proxy({} as RepairPort, {
    get(_t, prop) {
      return () => Promise.reject(new Error(`unexpected Kubernetes API call ${String(prop)}`));
    },
  });
}

export function netnsExec(nodes: NodeRunner, port: RepairPort, verifyTimeoutMs = 10_000): RepairExec {
  return { port, nodes, verifyTimeoutMs, pollMs: 300, log: () => undefined };
}
