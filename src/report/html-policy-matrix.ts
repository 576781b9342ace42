/**
 * The HTML report's NetworkPolicy section: the reachability matrix between the workloads of the
 * namespaces that have policies, each denied cell naming the side that denies it and the
 * isolating policies in its tooltip (the question users ask: *which* policy drops this flow).
 */
import type { CellState, MatrixCell, ReachabilityMatrix } from '../core/policy-matrix.ts';
import { escapeHtml as h } from './escape.ts';

const SYMBOL: Record<CellState, string> = {
  allowed: '✓',
  'egress-denied': 'E',
  'ingress-denied': 'I',
  'both-denied': 'X',
  'no-port': '?',
};

/** Maps the states onto the report's existing cell colours (pass, fail, unknown). */
const CLASS: Record<CellState, string> = {
  allowed: 'pass',
  'egress-denied': 'fail',
  'ingress-denied': 'fail',
  'both-denied': 'fail',
  'no-port': 'unknown',
};

function tip(c: MatrixCell): string {
  const at = c.port === undefined ? 'no declared port' : `${c.port}/${c.protocol ?? 'TCP'}`;
  const by = (c.deniedBy ?? []).map((p) => `${p.namespace}/${p.name}`).join(', ');
  return `${c.from} → ${c.to} at ${at}: ${c.state}${by ? ` (isolated by ${by}; no rule allows it)` : ''}`;
}

export function policySection(m: ReachabilityMatrix | undefined): string {
  if (m === undefined) {
    return '<section id="policies">\n<h2>Policy matrix</h2>\n<p class="muted">No NetworkPolicy in the cluster: nothing isolates any pod.</p>\n</section>';
  }
  const denied = m.cells.filter((c) => c.state !== 'allowed' && c.state !== 'no-port').length;
  const at =
    m.port !== undefined ? `${m.port}/${m.protocol ?? 'TCP'}` : "each destination's first declared port";
  const intro = `<p>NetworkPolicy reachability between ${m.workloads.length} workloads of the namespaces that have policies (rows: from, columns: to) at ${h(at)}: ${denied} of ${m.cells.length} flows denied. E: denied by the source's egress, I: by the destination's ingress, X: both, ?: no declared port. Hover a cell for the policies; <code>netdoctor policy explain</code> gives the rules.</p>`;
  const cell = new Map(m.cells.map((c) => [`${c.from}\u0000${c.to}`, c]));
  const head = `<tr><th scope="col">from \\ to</th>${m.workloads
    .map((w, i) => `<th scope="col" title="${h(w.id)}">${i + 1}</th>`)
    .join('')}</tr>`;
  const rows = m.workloads.map((from, i) => {
    const cells = m.workloads.map((to) => {
      const c = cell.get(`${from.id}\u0000${to.id}`);
      if (c === undefined) return '<td class="cell none">·</td>';
      return `<td class="cell ${CLASS[c.state]}" title="${h(tip(c))}">${SYMBOL[c.state]}</td>`;
    });
    return `<tr><th scope="row">${i + 1}. ${h(from.id)}</th>${cells.join('')}</tr>`;
  });
  const omitted =
    m.omitted > 0
      ? `<p class="muted">${m.omitted} more workloads not shown; <code>netdoctor policy matrix -n NAMESPACE</code> lists a namespace in full.</p>`
      : '';
  return [
    '<section id="policies">',
    '<h2>Policy matrix</h2>',
    intro,
    `<table class="routes"><thead>${head}</thead><tbody>${rows.join('')}</tbody></table>`,
    omitted,
    '</section>',
  ].join('\n');
}
