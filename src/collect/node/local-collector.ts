/**
 * `--node-access local`: netdoctor runs on a node itself (a kubeadm control plane, a debug shell
 * on a worker) and reads that node's datapath directly. Only that node can be collected; every
 * other node is a gap that says so.
 */
import { networkInterfaces, hostname as osHostname } from 'node:os';
import type { K8sNode } from '../../core/cluster-types.ts';
import {
  combineOutcomes,
  type NodeCollection,
  type NodeOutcome,
  nodeGap,
  nodeOutcomeFromStream,
} from './node-collection.ts';
import { nodeScript } from './node-script.ts';
import { runCommand } from './run-command.ts';

export interface LocalCollectOptions {
  /** The shell that runs the script; `['sh', '-s']` by default (tests prefix `ip netns exec`). */
  shell?: string[];
  /** This machine's host name and addresses, for matching it to a Kubernetes node. */
  hostname?: string;
  addresses?: string[];
  /** Collect as this node, skipping the match. */
  node?: string;
  timeoutMs: number;
}

/**
 * Which Kubernetes node this machine is: the node whose name is the host name (or its first
 * label), else the node whose InternalIP is one of the machine's addresses.
 */
export function matchLocalNode(
  nodes: readonly K8sNode[],
  hostname: string,
  addresses: readonly string[],
): string | undefined {
  const names = nodes.map((n) => n.metadata.name);
  const short = hostname.split('.')[0] ?? hostname;
  const byName = names.find((n) => n === hostname) ?? names.find((n) => n === short);
  if (byName) return byName;
  const addrs = new Set(addresses);
  return nodes.find((n) => (n.status.addresses ?? []).some((a) => addrs.has(a.address)))?.metadata.name;
}

function localAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((i) => i !== undefined)
    .map((i) => i.address);
}

export async function collectLocalNode(
  nodes: readonly K8sNode[],
  opts: LocalCollectOptions,
): Promise<NodeCollection> {
  const self =
    opts.node ?? matchLocalNode(nodes, opts.hostname ?? osHostname(), opts.addresses ?? localAddresses());
  const outcomes: NodeOutcome[] = [];
  for (const n of nodes) {
    const name = n.metadata.name;
    if (name !== self) {
      outcomes.push({
        node: name,
        status: 'failed',
        gap: nodeGap(
          name,
          'node/local',
          'not-collected',
          'not this machine: --node-access local reads only the node netdoctor runs on',
        ),
      });
    }
  }
  if (self === undefined) {
    outcomes.push({
      node: '(this machine)',
      status: 'failed',
      gap: {
        collector: 'node/local',
        reason: 'not-found',
        detail: 'this machine matches no Kubernetes node by host name or InternalIP',
      },
    });
    return combineOutcomes(outcomes);
  }
  outcomes.push(
    await runScriptAsNode(self, 'local', opts.shell ?? ['sh', '-s'], nodeScript(''), opts.timeoutMs),
  );
  return combineOutcomes(outcomes);
}

/** Runs the node script through `shell` (script on stdin) and turns its output into an outcome. */
export async function runScriptAsNode(
  node: string,
  via: string,
  shell: readonly string[],
  script: string,
  timeoutMs: number,
): Promise<NodeOutcome> {
  const r = await runCommand(shell, { input: script, timeoutMs });
  const collector = `node/${via}`;
  if (r.status === 'spawn-error') {
    return {
      node,
      status: 'failed',
      gap: nodeGap(node, collector, 'unsupported', `cannot run ${shell[0]}: ${r.error}`),
    };
  }
  if (r.status === 'timeout' && r.stdout === '') {
    return {
      node,
      status: 'failed',
      gap: nodeGap(node, collector, 'timeout', `no output within ${timeoutMs} ms`),
    };
  }
  const outcome = nodeOutcomeFromStream(node, via, r.stdout);
  if (outcome.status === 'failed' && r.stderr.trim()) {
    const reason =
      r.status === 'exited' && r.code === 255 && via === 'ssh' ? 'unreachable' : outcome.gap.reason;
    return { node, status: 'failed', gap: nodeGap(node, collector, reason, firstLine(r.stderr)) };
  }
  if (outcome.status === 'collected' && r.status === 'timeout') {
    outcome.gaps.push(nodeGap(node, collector, 'timeout', `stopped after ${timeoutMs} ms`));
  }
  return outcome;
}

function firstLine(s: string): string {
  const t = s.trim().split('\n').slice(0, 3).join(' | ');
  return t.length > 300 ? `${t.slice(0, 300)}…` : t;
}
