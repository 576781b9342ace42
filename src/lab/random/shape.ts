/**
 * One way the randomized generator can break the lab. A shape is a fault with its parameters
 * left open (which node, which peer); the generator closes them from a seed. Each shape states
 * its ground truth: the layer it breaks and the root cause a right diagnosis names first.
 */
import type { Layer, RootCauseCategory, Subject } from '../../core/model.ts';
import type { Fault, FaultContext } from '../faults/fault.ts';
import type { LabNode } from '../topology.ts';

/** A subject a right diagnosis may name (kind and name are compared). */
export type TruthSubject = Pick<Subject, 'kind' | 'name'>;

export interface Shape {
  /** Stable, unique: `<family>/<variant>`. */
  id: string;
  layer: Layer;
  /** The root cause a right diagnosis names first. */
  category: RootCauseCategory;
  /** 'node': breaks ctx.node (and may involve ctx.peer); 'cluster': a cluster object. */
  scope: 'node' | 'cluster';
  /** The subjects that are right; empty means any (a fault that hits every node alike). */
  subjects: (node: LabNode) => TruthSubject[];
  summary: (node: LabNode, peer: LabNode) => string;
  inject: Fault['inject'];
  heal: Fault['heal'];
  residue: Fault['residue'];
}

/** The subject of a node-scoped shape: the node it breaks. */
export const theNode = (node: LabNode): TruthSubject[] => [{ kind: 'Node', name: node.name }];

/** A node's pod CIDR as the API server allocated it (flannel routes by it). */
export function podCidrOf(ctx: FaultContext, node: LabNode): string {
  const cidr = ctx.kubectl(['get', 'node', node.name, '-o', 'jsonpath={.spec.podCIDR}']).trim();
  if (!/^\d+\.\d+\.\d+\.\d+\/\d+$/.test(cidr)) throw new Error(`${node.name} has no pod CIDR (${cidr})`);
  return cidr;
}

/** A node's flannel VXLAN MAC, from the annotation flannel publishes for its peers. */
export function vtepMacOf(ctx: FaultContext, node: LabNode): string {
  const raw = ctx.kubectl([
    'get',
    'node',
    node.name,
    '-o',
    'jsonpath={.metadata.annotations.flannel\\.alpha\\.coreos\\.com/backend-data}',
  ]);
  const mac = (JSON.parse(raw) as { VtepMAC?: string }).VtepMAC;
  if (!mac) throw new Error(`${node.name} has no flannel VtepMAC annotation`);
  return mac.toLowerCase();
}

/** `10.244.2.0/24` → `10.244.2.0`: flannel's address for a peer subnet on flannel.1. */
export function subnetGateway(cidr: string): string {
  return cidr.split('/')[0] ?? cidr;
}
