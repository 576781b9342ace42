/** A finished walk as the tracer's result: its hops, where it stopped, and why. */
import type { ResolvedEndpoint } from '../trace-cluster.ts';
import type { TraceEndpointInfo, TraceResult } from '../trace-types.ts';
import type { Walk } from './walk.ts';

/** The walk's result: delivered only when every hop is ok and the last one delivers. */
export function traceResult(w: Walk, from: ResolvedEndpoint, to: ResolvedEndpoint): TraceResult {
  const stop = w.hops.findIndex((h) => h.status === 'broken');
  const firstUnknown = w.hops.findIndex((h) => h.status === 'unknown');
  const reached = w.hops.at(-1)?.kind === 'delivered' && w.hops.at(-1)?.status === 'ok';
  const status: TraceResult['status'] =
    stop !== -1 ? 'broken' : firstUnknown !== -1 || !reached ? 'unknown' : 'delivered';
  const at = stop !== -1 ? stop : firstUnknown;
  const res: TraceResult = {
    query: w.query,
    from: endpointInfo(from),
    to: { ...endpointInfo(to), ...(w.resolvedTo ?? {}) },
    status,
    hops: w.hops,
  };
  if (at !== -1) {
    res.stoppedAt = at;
    const reason = w.hops[at]!.reason;
    if (reason) res.reason = reason;
  }
  return res;
}

function endpointInfo(e: ResolvedEndpoint): TraceEndpointInfo {
  return {
    input: e.input,
    ip: e.ip,
    ...(e.node ? { node: e.node } : {}),
    ...(e.podKey ? { pod: e.podKey } : {}),
    ...(e.serviceKey ? { service: e.serviceKey } : {}),
  };
}
