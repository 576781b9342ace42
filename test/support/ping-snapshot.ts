/**
 * The builder's healthy cluster with ping statistics on its pod-to-pod ICMP probes, from a
 * round-trip function of the two nodes: the input of the latency matrix and its rule.
 */
import type { Snapshot } from '../../src/core/model.ts';
import { SnapshotBuilder } from './snapshot-builder.ts';

export function snapshotWithPings(rtt: (from: string, to: string) => number): Snapshot {
  return new SnapshotBuilder()
    .edit((s) => {
      for (const r of s.probes?.results ?? []) {
        if (r.scenario !== 'pod-to-pod-icmp' || !r.from.node || !r.to.node) continue;
        const m = rtt(r.from.node, r.to.node);
        r.ping = { sent: 5, received: 5, minMs: m, avgMs: m * 1.2, maxMs: m * 1.5 };
      }
    })
    .build();
}
