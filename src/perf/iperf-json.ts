/**
 * Reads what `iperf3 -J` prints into the figures a perf row shows. iperf3 writes one JSON
 * document per run, also when the run failed (then `error` says why), so a test's outcome is
 * always this parser's answer, never an exception (nor the exit code: iperf3 3.12 -J exits 0
 * on a refused connection). Figures come from the receiver's side:
 * `end.sum_received` for TCP (what arrived, not what was queued), and for UDP the receiver's
 * loss and jitter (`end.sum_received` in current releases, `end.sum` in older ones, whose
 * UDP summary is the receiver's report).
 */
import type { ClientOutput } from './iperf-commands.ts';
import type { PerfFigures, PerfOutcome } from './types.ts';

/** One iperf3 run read back: its figures, or why there are none. */
export type IperfRun =
  | { status: 'ok'; reverse: boolean; figures: PerfFigures }
  | { status: 'error'; error: string };

type Json = Record<string, unknown>;

function isRecord(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function record(v: Json | undefined, key: string): Json | undefined {
  const x = v?.[key];
  return isRecord(x) ? x : undefined;
}

function finite(v: Json | undefined, key: string): number | undefined {
  const x = v?.[key];
  return typeof x === 'number' && Number.isFinite(x) ? x : undefined;
}

const round = (n: number, digits: number): number => Number(n.toFixed(digits));

/** bit/s to Mbit/s (10^6, as iperf3's own "Mbits/sec"), to 0.1. */
export const toMbps = (bitsPerSecond: number): number => round(bitsPerSecond / 1e6, 1);

/**
 * Parses one `iperf3 -J` document. Text around the document (a shell's "Terminated", iperf3's
 * own warnings on stderr merged into the log) is ignored: the document is taken from the first
 * `{` at a line start to the last `}`.
 */
export function parseIperfJson(text: string): IperfRun {
  const start = text.search(/^\{/m);
  const end = text.lastIndexOf('}');
  if (start < 0 || end < start) {
    const said = text.trim().split('\n').slice(-1)[0]?.slice(0, 200);
    return { status: 'error', error: `iperf3 printed no JSON${said ? ` (${said})` : ''}` };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text.slice(start, end + 1));
  } catch (err) {
    return {
      status: 'error',
      error: `iperf3 JSON does not parse: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
  if (!isRecord(doc)) return { status: 'error', error: 'iperf3 JSON is not an object' };
  if (typeof doc['error'] === 'string') return { status: 'error', error: `iperf3: ${doc['error']}` };
  const testStart = record(record(doc, 'start'), 'test_start');
  const endPart = record(doc, 'end');
  const protocol = testStart?.['protocol'];
  if (!testStart || !endPart || (protocol !== 'TCP' && protocol !== 'UDP'))
    return { status: 'error', error: 'iperf3 JSON lacks start.test_start or end (the run did not finish)' };
  const reverse = finite(testStart, 'reverse') === 1;

  if (protocol === 'TCP') {
    const received = record(endPart, 'sum_received');
    const sent = record(endPart, 'sum_sent');
    const bps = finite(received, 'bits_per_second');
    if (bps === undefined) return { status: 'error', error: 'iperf3 JSON has no end.sum_received' };
    const retransmits = finite(sent, 'retransmits');
    return {
      status: 'ok',
      reverse,
      figures: {
        protocol: 'tcp',
        mbps: toMbps(bps),
        ...(retransmits !== undefined ? { retransmits } : {}),
        seconds: round(finite(received, 'seconds') ?? 0, 2),
      },
    };
  }

  const received = record(endPart, 'sum_received') ?? record(endPart, 'sum');
  const bps = finite(received, 'bits_per_second');
  const packets = finite(received, 'packets');
  const lost = finite(received, 'lost_packets');
  const jitter = finite(received, 'jitter_ms');
  if (bps === undefined || packets === undefined || lost === undefined || jitter === undefined)
    return {
      status: 'error',
      error: 'iperf3 JSON has no UDP receiver summary (end.sum_received or end.sum)',
    };
  const target = finite(testStart, 'target_bitrate') ?? 0;
  return {
    status: 'ok',
    reverse,
    figures: {
      protocol: 'udp',
      targetMbps: toMbps(target),
      mbps: toMbps(bps),
      lostPackets: lost,
      packets,
      // Recomputed rather than read: older releases round lost_percent differently, and 0/0 is 0.
      lossPercent: packets > 0 ? round((lost / packets) * 100, 2) : 0,
      jitterMs: round(jitter, 3),
      seconds: round(finite(received, 'seconds') ?? 0, 2),
    },
  };
}

/** A test's outcome from its run in the client log. */
export function outcomeOfRun(run: ClientOutput): PerfOutcome {
  const parsed = parseIperfJson(run.text);
  if (parsed.status === 'ok') return { status: 'ok', figures: parsed.figures };
  // 124 (coreutils) / 143 (busybox, SIGTERM): `timeout` ended iperf3, a server gone quiet mid-test.
  const timedOut = run.exitCode === 124 || run.exitCode === 143 ? ' (iperf3 ran out of time)' : '';
  return { status: 'error', error: `${parsed.error}${timedOut}` };
}
