/**
 * Per direction of a pair, the figures side by side: pod network against underlay, and the
 * overlay's share of the cost. Pure.
 */
import type {
  DirectionSummary,
  NodePair,
  OverlayCost,
  PerfDirection,
  PerfMode,
  PerfProtocol,
  PerfTestResult,
  TcpFigures,
  UdpFigures,
} from './types.ts';

function figuresOf(
  tests: readonly PerfTestResult[],
  mode: PerfMode,
  protocol: PerfProtocol,
  direction: PerfDirection,
): TcpFigures | UdpFigures | undefined {
  const t = tests.find((x) => x.mode === mode && x.protocol === protocol && x.direction === direction);
  return t?.outcome.status === 'ok' ? t.outcome.figures : undefined;
}

const tcp = (f: TcpFigures | UdpFigures | undefined) => (f?.protocol === 'tcp' ? f : undefined);
const udp = (f: TcpFigures | UdpFigures | undefined) => (f?.protocol === 'udp' ? f : undefined);

/**
 * (host - pod) / host in percent, to 0.1. It can come out below zero: two runs a few seconds
 * apart differ by noise, and on an idle fast path the pod figure can win; that is reported as
 * measured rather than clamped, so the figure is never better-looking than what was seen.
 */
export function overlayCost(podMbps: number | undefined, hostMbps: number | undefined): OverlayCost {
  if (hostMbps === undefined) return { status: 'unknown', reason: 'no host-to-host TCP figure' };
  if (podMbps === undefined) return { status: 'unknown', reason: 'no pod-to-pod TCP figure' };
  if (!(hostMbps > 0)) return { status: 'unknown', reason: 'the host-to-host TCP test moved nothing' };
  return { status: 'measured', percent: Number((((hostMbps - podMbps) / hostMbps) * 100).toFixed(1)) };
}

/** The two directions of a pair, forward first. */
export function summarizePair(pair: NodePair, tests: readonly PerfTestResult[]): DirectionSummary[] {
  return (['forward', 'reverse'] as const).map((direction) => {
    const podTcp = tcp(figuresOf(tests, 'pod', 'tcp', direction));
    const hostTcp = tcp(figuresOf(tests, 'host', 'tcp', direction));
    const podUdp = udp(figuresOf(tests, 'pod', 'udp', direction));
    const hostUdp = udp(figuresOf(tests, 'host', 'udp', direction));
    const forward = direction === 'forward';
    return {
      direction,
      sender: forward ? pair.from : pair.to,
      receiver: forward ? pair.to : pair.from,
      ...(podTcp ? { podMbps: podTcp.mbps } : {}),
      ...(hostTcp ? { hostMbps: hostTcp.mbps } : {}),
      overlayCost: overlayCost(podTcp?.mbps, hostTcp?.mbps),
      ...(podTcp?.retransmits !== undefined ? { podRetransmits: podTcp.retransmits } : {}),
      ...(hostTcp?.retransmits !== undefined ? { hostRetransmits: hostTcp.retransmits } : {}),
      ...(podUdp ? { podUdpLossPercent: podUdp.lossPercent, podUdpJitterMs: podUdp.jitterMs } : {}),
      ...(hostUdp ? { hostUdpLossPercent: hostUdp.lossPercent, hostUdpJitterMs: hostUdp.jitterMs } : {}),
    };
  });
}
