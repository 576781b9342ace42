/**
 * The four ways onto a node, as one discriminated choice (`--node-access`), and the dispatcher
 * that runs the chosen one. Every way returns the same NodeCollection.
 */
import { readFile } from 'node:fs/promises';
import type { ClusterPort } from '../../cluster/port.ts';
import type { K8sNode } from '../../core/cluster-types.ts';
import { NetdoctorError } from '../../core/errors.ts';
import { collectNodesWithAgents } from './agent-collector.ts';
import type { AgentPodSpec } from './agent-pod.ts';
import { parseAnsibleInventory } from './ansible-inventory.ts';
import { collectLocalNode } from './local-collector.ts';
import { combineOutcomes, type NodeCollection, type NodeOutcome } from './node-collection.ts';
import { collectNodesOverSsh, type SshOptions } from './ssh-collector.ts';
import { collectNodesWithTalos } from './talos-collector.ts';

export const NODE_ACCESS_KINDS = ['agent', 'local', 'ssh', 'talos', 'none'] as const;
export type NodeAccessKind = (typeof NODE_ACCESS_KINDS)[number];

export type NodeAccess =
  | {
      kind: 'agent';
      image: string;
      namespace: string;
      imagePullPolicy?: AgentPodSpec['imagePullPolicy'];
    }
  | { kind: 'local'; shell?: string[]; node?: string }
  | { kind: 'ssh'; inventory: string; ssh?: SshOptions }
  | { kind: 'talos'; talosctl?: string[] }
  | { kind: 'none' };

export interface CollectNodesOptions {
  runId: string;
  timeoutMs: number;
  onNode?: (outcome: NodeOutcome) => void;
}

function readyStatus(n: K8sNode): string | undefined {
  return n.status.conditions?.find((c) => c.type === 'Ready')?.status;
}

/** Ready Unknown (or no Ready condition at all): the node controller has not heard from the kubelet. */
function kubeletSilent(n: K8sNode): boolean {
  const s = readyStatus(n);
  return s === undefined || s === 'Unknown';
}

export async function collectNodes(
  port: ClusterPort,
  nodes: readonly K8sNode[],
  access: NodeAccess,
  opts: CollectNodesOptions,
): Promise<NodeCollection> {
  switch (access.kind) {
    case 'agent': {
      // A node whose kubelet stopped reporting runs no pod: an agent there would only wait out
      // its budget. A kubelet that reports NotReady (e.g. no CNI) still runs host-network agents.
      const down = nodes.filter(kubeletSilent);
      const up = nodes.filter((n) => !kubeletSilent(n));
      const run = await collectNodesWithAgents(
        port,
        up.map((n) => n.metadata.name),
        {
          runId: opts.runId,
          namespace: access.namespace,
          image: access.image,
          timeoutMs: opts.timeoutMs,
          ...(access.imagePullPolicy ? { imagePullPolicy: access.imagePullPolicy } : {}),
          ...(opts.onNode ? { onNode: opts.onNode } : {}),
        },
      );
      for (const n of down) {
        run.gaps.push({
          collector: 'node/agent',
          reason: 'not-collected',
          node: n.metadata.name,
          detail: `the node's kubelet has stopped reporting (Ready ${readyStatus(n) ?? 'missing'}): no agent placed on it`,
        });
      }
      return run;
    }
    case 'local':
      return collectLocalNode(nodes, {
        timeoutMs: opts.timeoutMs,
        ...(access.shell ? { shell: access.shell } : {}),
        ...(access.node ? { node: access.node } : {}),
      });
    case 'ssh': {
      let text: string;
      try {
        text = await readFile(access.inventory, 'utf8');
      } catch (err) {
        throw new NetdoctorError('usage', `cannot read the inventory ${access.inventory}`, {
          cause: err,
          path: access.inventory,
        });
      }
      let hosts: ReturnType<typeof parseAnsibleInventory>;
      try {
        hosts = parseAnsibleInventory(text);
      } catch (err) {
        throw new NetdoctorError(
          'usage',
          `the inventory ${access.inventory} is not an Ansible INI inventory`,
          {
            cause: err,
            path: access.inventory,
          },
        );
      }
      return collectNodesOverSsh(nodes, hosts, { ...access.ssh, timeoutMs: opts.timeoutMs });
    }
    case 'talos':
      return collectNodesWithTalos(nodes, {
        timeoutMs: opts.timeoutMs,
        ...(access.talosctl ? { talosctl: access.talosctl } : {}),
      });
    case 'none':
      return combineOutcomes(
        nodes.map((n) => ({
          node: n.metadata.name,
          status: 'failed',
          gap: {
            collector: 'node',
            reason: 'not-collected',
            node: n.metadata.name,
            detail: '--node-access none: node datapath not collected',
          },
        })),
      );
  }
}
