/**
 * Renders a trace for a terminal: one numbered line per hop with its status, then the
 * evidence of the hop where the walk stopped. Pure; colour is passed in.
 */
import type { HopStatus, TraceResult } from './trace-types.ts';

export interface TraceTextStyle {
  ok: (s: string) => string;
  broken: (s: string) => string;
  unknown: (s: string) => string;
  dim: (s: string) => string;
}

const PLAIN: TraceTextStyle = { ok: (s) => s, broken: (s) => s, unknown: (s) => s, dim: (s) => s };

const MARK: Record<HopStatus, string> = { ok: 'ok', broken: 'BROKEN', unknown: '??' };

export function renderTraceText(r: TraceResult, style: TraceTextStyle = PLAIN): string {
  const q = r.query;
  // A reply comes from the port the request went to.
  const port = q.port !== undefined ? `:${q.port}` : '';
  const proto = q.protocol ? `/${q.protocol}` : '';
  const lines: string[] = [
    q.reply
      ? `trace the reply ${q.from}${port} -> ${q.to}${proto}`
      : `trace ${q.from} -> ${q.to}${port}${proto}`,
  ];
  const kindWidth = Math.max(...r.hops.map((h) => h.kind.length), 4);
  r.hops.forEach((h, i) => {
    const mark = style[h.status](MARK[h.status].padEnd(6));
    const where = h.node ? style.dim(`[${h.node}] `) : '';
    lines.push(`${String(i + 1).padStart(2)}. ${mark} ${h.kind.padEnd(kindWidth)}  ${where}${h.summary}`);
  });
  lines.push('');
  if (r.endpoints) {
    lines.push(`Service endpoints (${r.endpoints.length}):`);
    for (const e of r.endpoints) {
      lines.push(
        `  ${style[e.status === 'delivered' ? 'ok' : e.status](e.status.padEnd(9))} ${e.endpoint}${e.reason ? `: ${e.reason}` : ''}`,
      );
    }
    lines.push('');
  }
  if (r.status === 'delivered') {
    lines.push(
      style.ok(`delivered: every hop from ${r.from.pod ?? r.from.ip} to ${r.to.pod ?? r.to.ip} checks out`),
    );
  } else {
    const hop = r.stoppedAt === undefined ? undefined : r.hops[r.stoppedAt];
    const label = r.status === 'broken' ? style.broken('broken') : style.unknown('unknown');
    lines.push(
      `${label}${hop ? ` at ${hop.kind}` : ''}: ${r.reason ?? 'the path could not be followed to its end'}`,
    );
    for (const e of hop?.evidence ?? []) {
      lines.push(`  ${style.dim(e.source)}`);
      lines.push(`    observed: ${e.observed}`);
      if (e.expected !== undefined) lines.push(`    expected: ${e.expected}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
