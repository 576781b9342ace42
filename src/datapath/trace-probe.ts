/**
 * Tracing a recorded probe the way it ran: its endpoints come from the probe record (the pods'
 * addresses and nodes), since the bundle's pod list can be taken before the probe pods exist;
 * the request is traced, and when it arrives, the reply on its way back.
 */
import type { K8sPod } from '../core/cluster-types.ts';
import type { Snapshot } from '../core/model.ts';
import type { ProbeEndpoint, ProbeResult } from '../core/probe-types.ts';
import { traceFlow } from './trace.ts';
import type { TraceResult } from './trace-types.ts';

/**
 * The snapshot with the probes' pods added to its pods where pods.json lacks them (by address).
 * Build it once for many probes: the tracer indexes each snapshot once.
 */
export function withProbePods(snapshot: Snapshot, probes: readonly ProbeResult[]): Snapshot {
  const known = new Set(snapshot.cluster.pods.map((p) => p.status.podIP).filter(Boolean));
  const added: K8sPod[] = [];
  const add = (e: ProbeEndpoint): void => {
    if (!e.ip || !e.node || !e.pod || known.has(e.ip)) return;
    known.add(e.ip);
    added.push({
      metadata: { name: e.pod, namespace: e.namespace ?? 'default' },
      spec: { nodeName: e.node, containers: [] },
      // It answered or sent the probe, so it ran.
      status: { phase: 'Running', podIP: e.ip },
    });
  };
  for (const r of probes) {
    add(r.from);
    add(r.to);
  }
  if (added.length === 0) return snapshot;
  return { ...snapshot, cluster: { ...snapshot.cluster, pods: [...snapshot.cluster.pods, ...added] } };
}

function traceOne(snapshot: Snapshot, r: ProbeResult, reply?: string): TraceResult | undefined {
  const protocol = r.protocol ?? (r.scenario === 'dns-udp' ? 'udp' : 'tcp');
  try {
    return traceFlow(snapshot, {
      from: reply ?? (r.from.ip as string),
      to: reply ? (r.from.ip as string) : (r.to.ip as string),
      protocol,
      ...(r.to.port !== undefined && protocol !== 'icmp' ? { port: r.to.port } : {}),
      ...(reply ? { reply: true } : {}),
    });
  } catch {
    // An address the snapshot cannot place: nothing to trace.
    return undefined;
  }
}

/**
 * A probe's request and, when the request arrives, the reply from whoever answered (after a
 * Service's DNAT, the endpoint). `snapshot` should already hold the probe's pods
 * ({@link withProbePods}).
 */
export function traceProbe(
  snapshot: Snapshot,
  r: ProbeResult,
): { request?: TraceResult; reply?: TraceResult } {
  if (!r.from.ip || !r.to.ip) return {};
  const request = traceOne(snapshot, r);
  if (request?.status !== 'delivered') return request ? { request } : {};
  // An answer from outside the cluster starts where the snapshot cannot see.
  if (!request.to.node) return { request };
  const reply = traceOne(snapshot, r, request.to.ip);
  return reply ? { request, reply } : { request };
}
