/** The registry and properties every renderer keeps: determinism, contract key order. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Report } from '../../src/core/model.ts';
import {
  RENDERERS,
  REPORT_FORMATS,
  render,
  renderBundleReports,
  validateReport,
} from '../../src/report/index.ts';
import { REPORT_FIXTURES } from '../fixtures/report/index.ts';
import { seed004StalledFlannel } from '../fixtures/report/seed-004-stalled-flannel.ts';

/** The same data with every object's keys reversed: the order the analysis happened to use. */
function shuffled<T>(value: T): T {
  if (Array.isArray(value)) return value.map(shuffled) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .reverse()
        .map(([k, v]) => [k, shuffled(v)]),
    ) as T;
  }
  return value;
}

describe('report registry', () => {
  it('has exactly one renderer per format', () => {
    assert.deepEqual(Object.keys(RENDERERS).sort(), [...REPORT_FORMATS].sort());
  });

  it('render() dispatches by format', () => {
    assert.equal(render(seed004StalledFlannel, 'md'), RENDERERS.md(seed004StalledFlannel));
  });

  it('every renderer is deterministic and ignores the key order of its input', () => {
    for (const { report } of REPORT_FIXTURES) {
      const other = shuffled(report) as Report;
      for (const format of REPORT_FORMATS) {
        assert.equal(render(other, format), render(report, format), format);
      }
    }
  });

  it('writes JSON keys in the contract order of PRODUCT.md', () => {
    const json = JSON.parse(render(shuffled(seed004StalledFlannel), 'json')) as Record<string, unknown>;
    assert.deepEqual(Object.keys(json), [
      'schemaVersion',
      'generatedAt',
      'verdict',
      'pattern',
      'rootCauses',
      'findings',
      'probes',
      'gaps',
      'rules',
      'coverage',
      'unexplained',
      'meta',
      'routeMatrix',
    ]);
    const rc = (json['rootCauses'] as Record<string, unknown>[])[0]!;
    assert.deepEqual(Object.keys(rc), [
      'category',
      'subject',
      'confidence',
      'summary',
      'evidence',
      'explains',
      'remediation',
      'finding',
    ]);
  });

  it('keeps a field it does not know about instead of dropping it', () => {
    const report = { ...seed004StalledFlannel, extra: { b: 1, a: 2 } } as Report;
    const json = JSON.parse(render(report, 'json')) as Record<string, unknown>;
    assert.deepEqual(json['extra'], { b: 1, a: 2 });
  });

  it('YAML carries the same document as JSON', async () => {
    const { parse } = await import('yaml');
    assert.deepEqual(
      parse(render(seed004StalledFlannel, 'yaml')),
      JSON.parse(render(seed004StalledFlannel, 'json')),
    );
  });

  it('bundle reports are the md, plain text, json and html renderings', () => {
    const files = renderBundleReports(seed004StalledFlannel);
    assert.equal(files.markdown, render(seed004StalledFlannel, 'md'));
    assert.equal(files.summary, render(seed004StalledFlannel, 'text'));
    assert.equal(files.json, render(seed004StalledFlannel, 'json'));
    assert.equal(files.html, render(seed004StalledFlannel, 'html'));
  });
});

describe('large-cluster route matrix (only problems listed)', () => {
  const report: Report = structuredClone(seed004StalledFlannel);
  report.routeMatrix = {
    nodes: Array.from({ length: 300 }, (_, i) => ({
      name: `node-${i}`,
      podCIDR: `10.${64 + (i >> 8)}.${i & 255}.0/24`,
    })),
    cells: [
      { from: 'node-7', to: 'node-12', state: 'missing' },
      { from: 'node-7', to: 'node-40', state: 'wrong', route: '10.64.40.0/24 via 192.168.9.9 dev eth0' },
      { from: 'node-99', to: 'node-99', state: 'unknown' },
    ],
    onlyProblems: true,
  };

  it('lists only the problem rows in markdown', () => {
    const md = render(report, 'md');
    assert.match(md, /300 nodes: only the routes with a problem are listed/);
    assert.match(
      md,
      /=== node-7 \(10\.64\.7\.0\/24\) === ← PROBLEM\n10\.64\.12\.0\/24 +NO ROUTE ✗\n10\.64\.40\.0\/24 +-> eth0 ✗ wrong: /,
    );
    assert.doesNotMatch(md, /=== node-8 /);
  });

  it('draws a grid of the involved nodes only, absent cells healthy', () => {
    const html = render(report, 'html');
    const grid = /<table class="routes">[\s\S]*?<\/table>/.exec(html)?.[0] ?? '';
    assert.equal(grid.match(/<th scope="row">/g)?.length, 4, 'node-7, node-12, node-40, node-99');
    assert.match(grid, /<td class="cell ok" title="ok">route ✓<\/td>/);
    assert.match(
      html,
      /node-7 routes 10\.64\.40\.0\/24 \(node-40\) the wrong way: 10\.64\.40\.0\/24 via 192\.168\.9\.9 dev eth0/,
    );
    assert.deepEqual(validateReport(JSON.parse(render(report, 'json'))), { valid: true });
  });

  it('says so in the summary', () => {
    assert.match(
      render(report, 'text'),
      /Routes {3}2 missing or wrong, 1 unknown \(problems only, 300 nodes\)/,
    );
  });
});
