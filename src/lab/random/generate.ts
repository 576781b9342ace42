/**
 * `lab break --random [--seed N]`: a seed picks a shape and the node (and peer) it hits. The same
 * seed on a lab of the same size gives the same fault, so `lab heal` and a bug report need
 * nothing but the seed.
 */
import type { Layer, RootCauseCategory } from '../../core/model.ts';
import type { Fault } from '../faults/fault.ts';
import type { LabNode, LabTopology } from '../topology.ts';
import { seededRng } from './rng.ts';
import type { Shape, TruthSubject } from './shape.ts';
import { SHAPES } from './shapes/index.ts';

/** Fault ids of generated faults: `random-<seed>`. */
const ID_PREFIX = 'random-';

/** What a right diagnosis of a generated fault says first. */
export interface GroundTruth {
  shape: string;
  layer: Layer;
  category: RootCauseCategory;
  /** Any one of these is the right subject; empty: any subject. */
  subjects: TruthSubject[];
}

export interface GeneratedFault {
  seed: number;
  /** The node it hits, for node-scoped shapes (also the lab context's node for the others). */
  node: LabNode;
  peer: LabNode;
  fault: Fault;
  truth: GroundTruth;
}

export function randomFaultId(seed: number): string {
  return `${ID_PREFIX}${seed}`;
}

/** The seed of a generated fault's id, or undefined for a catalog fault. */
export function seedOfFaultId(id: string): number | undefined {
  const digits = id.startsWith(ID_PREFIX) ? id.slice(ID_PREFIX.length) : '';
  if (!/^\d{1,10}$/.test(digits)) return undefined;
  return Number(digits);
}

/**
 * Faults land on workers: breaking the control plane's own node would take the API server's
 * reachability with it, and the diagnosis under test needs the API.
 */
export function generateFault(
  seed: number,
  topology: LabTopology,
  shapes: readonly Shape[] = SHAPES,
): GeneratedFault {
  const rng = seededRng(seed);
  const shape = rng.pick(shapes);
  const workers = topology.nodes.filter((n) => n.role === 'worker');
  const node = rng.pick(workers.length > 0 ? workers : topology.nodes);
  const others = topology.nodes.filter((n) => n.name !== node.name);
  const peer = others.length > 0 ? rng.pick(others) : node;
  const fault: Fault = {
    id: randomFaultId(seed),
    summary: shape.summary(node, peer),
    expectedRootCause: shape.category,
    scope: shape.scope,
    inject: shape.inject,
    heal: shape.heal,
    residue: shape.residue,
  };
  return {
    seed,
    node,
    peer,
    fault,
    truth: { shape: shape.id, layer: shape.layer, category: shape.category, subjects: shape.subjects(node) },
  };
}

/** A seed for a run that did not name one. */
export function freshSeed(): number {
  return Math.floor(Math.random() * 1_000_000);
}
