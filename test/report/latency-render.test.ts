/** The latency matrix as each report format shows it: a slow node must stand out in every one. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze } from '../../src/analyze/engine.ts';
import { render } from '../../src/report/index.ts';
import { validateReport } from '../../src/report/validate-schema.ts';
import { snapshotWithPings } from '../support/ping-snapshot.ts';
import { unbalancedTags } from './markup-check.ts';

const report = analyze(snapshotWithPings((a, b) => (a === 'worker-2' || b === 'worker-2' ? 25 : 0.1)));

describe('latency matrix rendering', () => {
  it('is part of report.json and valid against the schema', () => {
    const json = JSON.parse(render(report, 'json')) as typeof report;
    assert.ok(json.latencyMatrix);
    assert.deepEqual(validateReport(json), { valid: true });
    const cell = json.latencyMatrix.cells.find((c) => c.from === 'worker-2');
    assert.deepEqual(Object.keys(cell ?? {}), [
      'from',
      'to',
      'sent',
      'received',
      'minMs',
      'avgMs',
      'maxMs',
      'outlier',
    ]);
  });

  it('shows a grid in markdown with the outliers marked and listed', () => {
    const md = render(report, 'md');
    assert.match(md, /## Latency matrix/);
    assert.match(md, /\| \*\*worker-2\*\* \|[^\n]*25\.0 ms !/);
    assert.match(
      md,
      /worker-2 -> \S+: min\/avg\/max 25\.0 ms \/ 30\.0 ms \/ 37\.5 ms, 5 of 5 answered \(outlier\)/,
    );
  });

  it('colours the HTML heatmap by the cluster baseline', () => {
    const html = render(report, 'html');
    assert.deepEqual(unbalancedTags(html), []);
    assert.match(html, /<section id="latency">/);
    assert.match(html, /<td class="cell lat-hot" title="worker-2 -&gt; [^"]*">25\.0 ms !<\/td>/);
    assert.match(html, /<td class="cell lat-ok" title="control-plane -&gt; worker-1[^"]*">0\.10 ms<\/td>/);
  });

  it('summarises it in the text report', () => {
    const text = render(report, 'text');
    assert.match(text, /Latency {2}\d+ node pairs: typical 0\.10 ms .*\d+ outliers, 0 with loss/);
    assert.match(text, /worker-2 -> .*\(outlier\)/);
  });
});
