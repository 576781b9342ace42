/**
 * `--node-access ssh --inventory FILE`: reach each node over SSH with the hosts of an Ansible INI
 * inventory (as the seeds' playbooks do), run the node script with `sh -s` on stdin, and read the
 * same marked stream the agents print. Planning (which host is which node, the ssh argv) is pure;
 * only `collectNodesOverSsh` runs anything.
 */
import { homedir } from 'node:os';
import type { K8sNode } from '../../core/cluster-types.ts';
import { mapLimit } from '../../core/concurrency.ts';
import type { InventoryHost } from './ansible-inventory.ts';
import { runScriptAsNode } from './local-collector.ts';
import { combineOutcomes, type NodeCollection, type NodeOutcome, nodeGap } from './node-collection.ts';
import { nodeScript } from './node-script.ts';

/** Node -> the inventory host that reaches it, or why none does. */
export type SshTarget =
  | { node: string; status: 'matched'; host: InventoryHost }
  | { node: string; status: 'unmatched' };

/**
 * Matches inventory hosts to Kubernetes nodes: by name (also the short host name), else by the
 * node's InternalIP (or any address) being the host's `ansible_host`.
 */
export function matchInventory(nodes: readonly K8sNode[], hosts: readonly InventoryHost[]): SshTarget[] {
  return nodes.map((n) => {
    const name = n.metadata.name;
    const short = (s: string): string => s.split('.')[0] ?? s;
    const addrs = (n.status.addresses ?? []).map((a) => a.address);
    const internal = (n.status.addresses ?? []).filter((a) => a.type === 'InternalIP').map((a) => a.address);
    const host =
      hosts.find((h) => h.name === name) ??
      hosts.find((h) => short(h.name) === short(name)) ??
      hosts.find((h) => internal.includes(h.address) || internal.includes(h.name)) ??
      hosts.find((h) => addrs.includes(h.address));
    return host ? { node: name, status: 'matched', host } : { node: name, status: 'unmatched' };
  });
}

export interface SshOptions {
  /** The ssh program and anything before its options (tests: `ip netns exec NS ssh`). */
  ssh?: string[];
  /** Extra `-o` options, e.g. `UserKnownHostsFile=/path`. */
  extraOptions?: string[];
  connectTimeoutSeconds?: number;
}

/** The argv that runs the node script on `host` with the script on stdin. */
export function sshArgv(host: InventoryHost, opts: SshOptions = {}): string[] {
  const argv = [...(opts.ssh ?? ['ssh'])];
  argv.push('-o', 'BatchMode=yes', '-o', `ConnectTimeout=${opts.connectTimeoutSeconds ?? 10}`);
  argv.push('-o', 'StrictHostKeyChecking=accept-new');
  for (const o of opts.extraOptions ?? []) argv.push('-o', o);
  if (host.port !== undefined) argv.push('-p', String(host.port));
  if (host.privateKeyFile) argv.push('-i', host.privateKeyFile.replace(/^~(?=$|\/)/, homedir()));
  argv.push(host.user ? `${host.user}@${host.address}` : host.address);
  argv.push(host.become ? 'sudo -n sh -s' : 'sh -s');
  return argv;
}

export async function collectNodesOverSsh(
  nodes: readonly K8sNode[],
  hosts: readonly InventoryHost[],
  opts: SshOptions & { timeoutMs: number; concurrency?: number },
): Promise<NodeCollection> {
  const targets = matchInventory(nodes, hosts);
  const outcomes = await mapLimit(targets, opts.concurrency ?? 16, async (t): Promise<NodeOutcome> => {
    if (t.status === 'unmatched') {
      return {
        node: t.node,
        status: 'failed',
        gap: nodeGap(
          t.node,
          'node/ssh',
          'not-found',
          'no inventory host matches this node by name or InternalIP',
        ),
      };
    }
    return runScriptAsNode(t.node, 'ssh', sshArgv(t.host, opts), nodeScript(''), opts.timeoutMs);
  });
  return combineOutcomes(outcomes);
}
