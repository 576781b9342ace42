import { explainDirect } from './explain-flow.ts';
import type { PolicyRef, Protocol } from './flow-types.ts';
import { podParty } from './party.ts';
import type { PolicyIndex } from './policy-index.ts';
import { groupWorkloads } from './workloads.ts';

export interface MatrixOptions {
  /** Only workloads of this namespace (as sources and destinations). */
  namespace?: string;
  /** One port for every cell; without it each destination's first declared container port is used. */
  port?: number;
  protocol?: Protocol;
  /** At most this many workloads (the matrix is quadratic); the rest are counted in `omitted`. */
  limit?: number;
}

export interface MatrixWorkload {
  id: string;
  namespace: string;
  name: string;
  pods: number;
  /** The pod evaluated for the workload (pods of one workload normally share labels and ports). */
  representative: string;
}

/** `egress-denied`: the source's egress stops it; `ingress-denied`: the destination's ingress does. */
export const CELL_STATES = ['allowed', 'egress-denied', 'ingress-denied', 'both-denied', 'no-port'] as const;
export type CellState = (typeof CELL_STATES)[number];

export interface MatrixCell {
  from: string;
  to: string;
  state: CellState;
  port?: number;
  protocol?: Protocol;
  /** The policies that isolate the denying side(s). */
  deniedBy?: PolicyRef[];
}

/** The data form of the matrix: what the CLI renders as text and the HTML report as a table. */
export interface ReachabilityMatrix {
  workloads: MatrixWorkload[];
  cells: MatrixCell[];
  port?: number;
  protocol?: Protocol;
  omitted: number;
}

/** Reachability between workloads, one representative pod each. Pure. */
export function reachabilityMatrix(index: PolicyIndex, opts: MatrixOptions = {}): ReachabilityMatrix {
  const pods = opts.namespace
    ? (index.podsByNamespace.get(opts.namespace) ?? [])
    : index.snapshot.cluster.pods;
  const all = groupWorkloads(pods);
  const limit = opts.limit ?? 200;
  const groups = all.slice(0, limit);
  const workloads: MatrixWorkload[] = groups.map((g) => ({
    id: g.id,
    namespace: g.namespace,
    name: g.name,
    pods: g.pods.length,
    representative: g.pods[0]!.metadata.name,
  }));
  const parties = groups.map((g) => podParty(g.pods[0]!));
  const cells: MatrixCell[] = [];
  for (let j = 0; j < groups.length; j++) {
    const dst = parties[j]!;
    let port = opts.port;
    let protocol: Protocol = opts.protocol ?? 'TCP';
    if (port === undefined) {
      const cp = dst.pod.spec.containers
        .flatMap((c) => c.ports ?? [])
        .find((p) => opts.protocol === undefined || (p.protocol ?? 'TCP') === opts.protocol);
      if (cp) {
        port = cp.containerPort;
        protocol = cp.protocol ?? 'TCP';
      }
    }
    for (let i = 0; i < groups.length; i++) {
      const from = groups[i]!.id;
      const to = groups[j]!.id;
      if (port === undefined) {
        cells.push({ from, to, state: 'no-port' });
        continue;
      }
      const e = explainDirect(index, parties[i]!, dst, port, protocol);
      const eg = e.egress.verdict === 'denied';
      const ing = e.ingress.verdict === 'denied';
      const cell: MatrixCell = {
        from,
        to,
        port,
        protocol,
        state: eg && ing ? 'both-denied' : eg ? 'egress-denied' : ing ? 'ingress-denied' : 'allowed',
      };
      const deniedBy = [e.egress, e.ingress].flatMap((v) =>
        v.verdict === 'denied' ? v.isolatingPolicies : [],
      );
      if (deniedBy.length > 0) cell.deniedBy = deniedBy;
      cells.push(cell);
    }
  }
  const m: ReachabilityMatrix = { workloads, cells, omitted: all.length - groups.length };
  if (opts.port !== undefined) m.port = opts.port;
  if (opts.protocol !== undefined) m.protocol = opts.protocol;
  return m;
}
