/**
 * One walk of a packet through a snapshot: where the packet is (its addresses, protocol and
 * port, which a Service's DNAT changes on the way) and the hops recorded so far. The hop files
 * read and advance it; the walk stops at the first hop recorded as broken.
 */
import type { NodeDatapath } from '../../core/datapath-types.ts';
import type { Snapshot } from '../../core/model.ts';
import type { PacketView } from '../iptables-eval.ts';
import type { ClusterView } from '../trace-cluster.ts';
import type { TraceHop, TraceProtocol, TraceQuery } from '../trace-types.ts';

/** Mutable walk state; lives for one walk (one Service endpoint) of one traceFlow call. */
export class Walk {
  /** The hops so far, in the order the packet meets them. */
  readonly hops: TraceHop[] = [];
  readonly snapshot: Snapshot;
  readonly view: ClusterView;
  readonly query: TraceQuery;
  /** The packet's protocol and destination port: the query's until a Service port replaces them. */
  protocol: TraceProtocol;
  port: number | undefined;
  /** The packet's destination address: the query's, then the endpoint's after a Service's DNAT. */
  dst = '';
  /** The packet's source address (the pod's, or the node's for host-network pods). */
  src = '';
  /** Set once a Service's DNAT rewrote the destination: conntrack then says DNAT. */
  dnat = false;
  /** Where the destination turned out to be, for the result's `to`. */
  resolvedTo: { ip: string; node?: string; pod?: string } | undefined;
  /** Which of a Service's endpoints this walk follows. */
  readonly endpointIndex: number;

  constructor(snapshot: Snapshot, view: ClusterView, query: TraceQuery, endpointIndex: number) {
    this.snapshot = snapshot;
    this.view = view;
    this.query = query;
    this.endpointIndex = endpointIndex;
    this.protocol = query.protocol ?? 'tcp';
    this.port = query.port;
  }

  /** Records a hop; false when the walk must stop there. */
  add(hop: TraceHop): boolean {
    this.hops.push(hop);
    return hop.status !== 'broken';
  }

  /** The packet is the answer of an established connection. */
  reply(): boolean {
    return this.query.reply === true;
  }

  /** The packet as the iptables and nft evaluators see it, on one node's hooks. */
  packet(
    dp: NodeDatapath,
    src: string,
    dst: string,
    proto: TraceProtocol,
    dport: number | undefined,
    inIface: string | undefined,
    outIface: string | undefined,
    dnat: boolean,
    reply = false,
  ): PacketView {
    const local = new Set<string>();
    for (const l of dp.links ?? []) for (const a of l.addrs) local.add(a.local);
    return {
      src,
      dst,
      proto,
      // A reply goes to the client's ephemeral port, which the snapshot does not know.
      ...(dport !== undefined && !reply ? { dport } : {}),
      ...(inIface !== undefined ? { inIface } : {}),
      ...(outIface !== undefined ? { outIface } : {}),
      ctstates: new Set(reply ? ['ESTABLISHED'] : dnat ? ['NEW', 'DNAT'] : ['NEW']),
      mark: 0,
      localAddrs: local,
    };
  }

  /** The packet in words, for a hop's reason. */
  describePacket(src: string): string {
    if (this.query.reply)
      return `the reply ${src}${this.port !== undefined ? `:${this.port}` : ''} -> ${this.dst}/${this.protocol}`;
    return `${src} -> ${this.dst}${this.port !== undefined ? `:${this.port}` : ''}/${this.protocol}`;
  }
}
