/**
 * One probe from this agent to a peer agent: ICMP with `ping` (loss and round-trip), or a TCP
 * connect to the peer agent's port (connect-probe.ts).
 */
import { runCommand } from '../collect/node/run-command.ts';
import { connectProbe } from './connect-probe.ts';
import type { AgentPeer } from './peers.ts';

export const PEER_PROBE_KINDS = ['icmp', 'tcp'] as const;
export type PeerProbeKind = (typeof PEER_PROBE_KINDS)[number];

/** How one probe ended: `ok` with the time taken, `lost` (no answer), or `error` (it could not run). */
export type PeerProbeResult =
  | { peer: string; kind: PeerProbeKind; status: 'ok'; rttMs: number; sent: number; received: number }
  | { peer: string; kind: PeerProbeKind; status: 'lost'; sent: number; received: number; detail: string }
  | { peer: string; kind: PeerProbeKind; status: 'error'; detail: string };

export interface PeerProbeOptions {
  /** The peer agents' TCP port. */
  port: number;
  timeoutMs: number;
  /** ICMP echo requests per probe. */
  count: number;
}

/** `3 packets transmitted, 2 received` and `rtt min/avg/max/mdev = 0.1/0.2/0.3/0.0 ms` of iputils or busybox ping. */
export function parsePingOutput(
  text: string,
): { sent: number; received: number; avgMs?: number } | undefined {
  const counts = /(\d+) packets transmitted, (\d+) (?:packets )?received/.exec(text);
  if (!counts) return undefined;
  const rtt = /= [\d.]+\/([\d.]+)\//.exec(text);
  const out = { sent: Number(counts[1]), received: Number(counts[2]) };
  return rtt ? { ...out, avgMs: Number(rtt[1]) } : out;
}

async function icmp(peer: AgentPeer, o: PeerProbeOptions): Promise<PeerProbeResult> {
  const waitS = Math.max(1, Math.ceil(o.timeoutMs / 1000));
  const r = await runCommand(
    ['ping', '-n', '-c', String(o.count), '-i', '0.2', '-W', String(waitS), peer.ip],
    {
      timeoutMs: o.timeoutMs + o.count * 1000,
    },
  );
  if (r.status === 'spawn-error') return { peer: peer.node, kind: 'icmp', status: 'error', detail: r.error };
  const stats = parsePingOutput(r.stdout);
  if (!stats) {
    const why = (r.stderr || r.stdout).trim().split('\n')[0] ?? '';
    return { peer: peer.node, kind: 'icmp', status: 'error', detail: why || `ping ended: ${r.status}` };
  }
  if (stats.received === 0 || stats.avgMs === undefined)
    return { peer: peer.node, kind: 'icmp', status: 'lost', ...stats, detail: 'no echo reply' };
  return {
    peer: peer.node,
    kind: 'icmp',
    status: 'ok',
    rttMs: stats.avgMs,
    sent: stats.sent,
    received: stats.received,
  };
}

async function tcp(peer: AgentPeer, o: PeerProbeOptions): Promise<PeerProbeResult> {
  const r = await connectProbe(peer.ip, o.port, { timeoutMs: o.timeoutMs });
  if (r.status === 'ok')
    return { peer: peer.node, kind: 'tcp', status: 'ok', rttMs: r.rttMs, sent: 1, received: 1 };
  if (r.status === 'lost')
    return { peer: peer.node, kind: 'tcp', status: 'lost', sent: 1, received: 0, detail: r.detail };
  return {
    peer: peer.node,
    kind: 'tcp',
    status: 'error',
    detail: r.refused ? 'refused: no agent listening on the peer' : r.detail,
  };
}

/** Runs one probe of `kind` to `peer`; never throws. */
export function probePeer(
  peer: AgentPeer,
  kind: PeerProbeKind,
  o: PeerProbeOptions,
): Promise<PeerProbeResult> {
  return kind === 'icmp' ? icmp(peer, o) : tcp(peer, o);
}
