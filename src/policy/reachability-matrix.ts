import type { MatrixCell, MatrixWorkload, ReachabilityMatrix } from '../core/policy-matrix.ts';
import { explainDirect } from './explain-flow.ts';
import type { Protocol } from './flow-types.ts';
import { podParty } from './party.ts';
import type { PolicyIndex } from './policy-index.ts';
import { groupWorkloads } from './workloads.ts';

export type { CellState, MatrixCell, MatrixWorkload, ReachabilityMatrix } from '../core/policy-matrix.ts';
export { CELL_STATES } from '../core/policy-matrix.ts';

export interface MatrixOptions {
  /** Only workloads of this namespace (as sources and destinations). */
  namespace?: string;
  /** Only workloads of these namespaces (the report's matrix: the namespaces that have policies). */
  namespaces?: string[];
  /** One port for every cell; without it each destination's first declared container port is used. */
  port?: number;
  protocol?: Protocol;
  /** At most this many workloads (the matrix is quadratic); the rest are counted in `omitted`. */
  limit?: number;
}

/** Reachability between workloads, one representative pod each. Pure. */
export function reachabilityMatrix(index: PolicyIndex, opts: MatrixOptions = {}): ReachabilityMatrix {
  const pods = opts.namespace
    ? (index.podsByNamespace.get(opts.namespace) ?? [])
    : opts.namespaces
      ? opts.namespaces.flatMap((ns) => index.podsByNamespace.get(ns) ?? [])
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
