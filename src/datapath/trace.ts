/**
 * The path tracer: walks one packet through a snapshot (source pod, veth and bridge, kube-proxy's
 * Service DNAT, node routes, VXLAN neighbour and FDB entries, the underlay, the peer node,
 * iptables filter) and stops at the first hop that breaks, naming the route, rule or entry at
 * fault. Pure: it reads the snapshot only, so it runs the same on a live collection and on a
 * bundle from last night.
 *
 * This file is the entry point; the order of hops is in trace/path.ts and each hop's checks in
 * the trace/ file named after its kind.
 */

import type { Snapshot } from '../core/model.ts';
import { followPath } from './trace/path.ts';
import { traceResult } from './trace/result.ts';
import { Walk } from './trace/walk.ts';
import { buildClusterView, type ClusterView, resolveEndpoint } from './trace-cluster.ts';
import type { TraceQuery, TraceResult } from './trace-types.ts';

/** Each snapshot's cluster view; snapshots are never changed once built. */
const views = new WeakMap<Snapshot, ClusterView>();

/**
 * Traces `query` through `snapshot`. A Service with several endpoints is walked once per
 * endpoint (kube-proxy picks one at random per connection) and the first broken walk is
 * returned, so "DNS fails from worker-2 half the time" shows the half that fails.
 * Throws a usage NetdoctorError for names not in the snapshot.
 */
export function traceFlow(snapshot: Snapshot, query: TraceQuery): TraceResult {
  // Analysis traces hundreds of probes over one snapshot: index its pods and Services once.
  let view = views.get(snapshot);
  if (!view) {
    view = buildClusterView(snapshot);
    views.set(snapshot, view);
  }
  const from = resolveEndpoint(view, query.from, false);
  const to = resolveEndpoint(view, query.to, true);
  const walk = (endpointIndex: number): TraceResult => {
    const w = new Walk(snapshot, view, query, endpointIndex);
    followPath(w, from, to);
    return traceResult(w, from, to);
  };
  const first = walk(0);
  const dnat = first.hops.find((h) => h.kind === 'service-dnat');
  if (dnat?.kind !== 'service-dnat' || dnat.status !== 'ok' || dnat.endpoints.length < 2) return first;
  const all = dnat.endpoints.map((_, i) => (i === 0 ? first : walk(i)));
  const chosen = all.find((r) => r.status === 'broken') ?? all.find((r) => r.status === 'unknown') ?? first;
  chosen.endpoints = all.map((r, i) => ({
    endpoint: dnat.endpoints[i]!,
    status: r.status,
    ...(r.reason === undefined ? {} : { reason: r.reason }),
  }));
  return chosen;
}
