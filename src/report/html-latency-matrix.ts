/**
 * The HTML report's latency section: a node-by-node heatmap of pod-to-pod round trips, each cell
 * coloured by how it compares with the cluster's own baseline, and the outlier and lossy pairs
 * listed under it.
 */
import type { LatencyMatrix } from '../core/model.ts';
import { escapeHtml as h } from './escape.ts';
import {
  LATENCY_GRID_MAX_NODES,
  latencyCell,
  latencyDetail,
  latencyHeat,
  latencyLabel,
  latencySummary,
  notableLatency,
} from './latency-view.ts';

export function latencySection(m: LatencyMatrix | undefined): string {
  if (m === undefined) {
    return '<section id="latency">\n<h2>Latency matrix</h2>\n<p class="muted">Not available: no pod-to-pod ping measured round trips.</p>\n</section>';
  }
  const notable = notableLatency(m);
  return [
    '<section id="latency">',
    '<h2>Latency matrix</h2>',
    `<p>${h(latencySummary(m))}. Rows are source nodes, columns destinations; each cell is the pair's minimum round trip, hover for min/avg/max and loss.</p>`,
    '<div class="legend"><span class="cell lat-ok">near typical</span><span class="cell lat-warm">2x typical or more</span><span class="cell lat-hot">outlier</span><span class="cell lat-lossy">some loss</span><span class="cell lat-down">no answer</span></div>',
    m.nodes.length <= LATENCY_GRID_MAX_NODES ? grid(m) : '',
    notable.length === 0
      ? ''
      : `<ul>${notable.map((c) => `<li class="mono">${h(latencyDetail(c))}</li>`).join('')}</ul>`,
    '</section>',
  ].join('\n');
}

function grid(m: LatencyMatrix): string {
  const head = `<tr><th scope="col">from \\ to</th>${m.nodes.map((n) => `<th scope="col">${h(n)}</th>`).join('')}</tr>`;
  const rows = m.nodes.map((from) => {
    const cells = m.nodes.map((to) => {
      const c = latencyCell(m, from, to);
      if (c === undefined) return '<td class="cell none">·</td>';
      return `<td class="cell lat-${latencyHeat(c, m.baselineMs)}" title="${h(latencyDetail(c))}">${h(latencyLabel(c))}</td>`;
    });
    return `<tr><th scope="row">${h(from)}</th>${cells.join('')}</tr>`;
  });
  return `<table class="heatmap latency"><thead>${head}</thead><tbody>${rows.join('')}</tbody></table>`;
}
