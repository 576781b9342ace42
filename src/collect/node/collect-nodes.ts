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

export async function collectNodes(
  port: ClusterPort,
  nodes: readonly K8sNode[],
  access: NodeAccess,
  opts: CollectNodesOptions,
): Promise<NodeCollection> {
  switch (access.kind) {
    case 'agent':
      return collectNodesWithAgents(
        port,
        nodes.map((n) => n.metadata.name),
        {
          runId: opts.runId,
          namespace: access.namespace,
          image: access.image,
          timeoutMs: opts.timeoutMs,
          ...(access.imagePullPolicy ? { imagePullPolicy: access.imagePullPolicy } : {}),
          ...(opts.onNode ? { onNode: opts.onNode } : {}),
        },
      );
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
