import type { CellState, ReachabilityMatrix } from './reachability-matrix.ts';

const SYMBOL: Record<CellState, string> = {
  allowed: '.',
  'egress-denied': 'E',
  'ingress-denied': 'I',
  'both-denied': 'X',
  'no-port': '?',
};

/** The text form of `netdoctor policy matrix`: rows are sources, columns destinations. */
export function renderMatrix(m: ReachabilityMatrix): string {
  if (m.workloads.length === 0) return 'no workloads\n';
  const n = m.workloads.length;
  const width = String(n).length;
  const labelWidth = Math.max(...m.workloads.map((w) => w.id.length));
  const state = new Map(m.cells.map((c) => [`${c.from}\u0000${c.to}`, c.state]));
  const portText =
    m.port !== undefined ? `${m.port}/${m.protocol ?? 'TCP'}` : "each destination's first declared port";
  const lines = [`Reachability at ${portText} (rows: from, columns: to)`, ''];
  const colHead = m.workloads.map((_, i) => String(i + 1).padStart(width)).join(' ');
  lines.push(`${' '.repeat(width + 3 + labelWidth)} ${colHead}`);
  m.workloads.forEach((w, i) => {
    const row = m.workloads
      .map((d) => SYMBOL[state.get(`${w.id}\u0000${d.id}`) ?? 'no-port'].padStart(width))
      .join(' ');
    lines.push(`${String(i + 1).padStart(width)}. ${w.id.padEnd(labelWidth)}  ${row}`);
  });
  lines.push(
    '',
    "legend: . allowed  E denied by the source's egress  I denied by the destination's ingress  X both  ? no port",
  );
  if (m.omitted > 0) lines.push(`${m.omitted} more workloads omitted; narrow with -n NAMESPACE`);
  return `${lines.join('\n')}\n`;
}
