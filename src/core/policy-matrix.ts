/**
 * The data form of the NetworkPolicy reachability matrix (policy/reachability-matrix.ts computes
 * it): what `netdoctor policy matrix` renders as text and the report carries for its HTML table.
 * It lives in core because the Report holds it.
 */

/** The protocols NetworkPolicy ports name. */
export type MatrixProtocol = 'TCP' | 'UDP' | 'SCTP';

/** A policy named by namespace and name. */
export interface MatrixPolicyRef {
  namespace: string;
  name: string;
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
  protocol?: MatrixProtocol;
  /** The policies that isolate the denying side(s). */
  deniedBy?: MatrixPolicyRef[];
}

/** The data form of the matrix: what the CLI renders as text and the HTML report as a table. */
export interface ReachabilityMatrix {
  workloads: MatrixWorkload[];
  cells: MatrixCell[];
  port?: number;
  protocol?: MatrixProtocol;
  omitted: number;
}
