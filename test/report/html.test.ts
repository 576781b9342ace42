/**
 * report.html is opened from bundles that carry cluster data anyone with pod-create rights
 * controls: it must stay well-formed, load nothing from outside, and never let a string from the
 * report become markup.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze } from '../../src/analyze/engine.ts';
import { readBundle } from '../../src/collect/bundle/read.ts';
import type { Report } from '../../src/core/model.ts';
import { render } from '../../src/report/index.ts';
import { validateReport } from '../../src/report/validate-schema.ts';
import { REPORT_FIXTURES } from '../fixtures/report/index.ts';
import { seed004StalledFlannel } from '../fixtures/report/seed-004-stalled-flannel.ts';
import { unbalancedTags } from './markup-check.ts';

const SCRIPT = '<script>alert("pwned")</script>';
const IMG = '"><img src=x onerror=alert(1)>';

/** seed 004 with hostile strings in every kind of field a cluster can influence. */
function hostileReport(): Report {
  const r = structuredClone(seed004StalledFlannel);
  const rc = r.rootCauses[0]!;
  rc.subject = { kind: 'Pod', namespace: 'default', name: `web-${SCRIPT}` };
  rc.summary = `summary ${IMG}`;
  rc.evidence.push({ source: `logs/default/${SCRIPT}/app.log`, observed: `line ${SCRIPT}`, expected: IMG });
  // A report read back from a bundle can name anything: the renderer must escape it too.
  (rc.remediation as string[]).push(`step-${SCRIPT}`);
  const f = r.findings[0]!;
  f.summary = `finding ${SCRIPT}`;
  f.subject = { kind: 'Pod', namespace: 'default', name: SCRIPT };
  f.nextCommands = [`kubectl logs ${SCRIPT}`];
  r.rules.push(
    { rule: 'hostile', status: 'error', error: SCRIPT },
    { rule: IMG, status: 'skipped', reason: SCRIPT },
  );
  r.gaps.push({ collector: SCRIPT, reason: 'error', detail: IMG, node: SCRIPT });
  r.pattern.signals.push(SCRIPT);
  r.meta.description = SCRIPT;
  r.meta.cluster = { name: IMG, context: SCRIPT };
  if ('results' in r.probes) {
    const p = r.probes.results[1]!;
    p.from = { ...p.from, pod: SCRIPT, node: `worker-1${IMG}` };
    p.outcome = { status: 'fail', error: 'other', detail: SCRIPT };
  }
  r.routeMatrix!.cells[1]!.route = SCRIPT;
  r.routeMatrix!.nodes.push({ name: SCRIPT, podCIDR: IMG });
  return r;
}

describe('html renderer', () => {
  for (const { name, report } of REPORT_FIXTURES) {
    it(`${name}: tags balance`, () => {
      assert.deepEqual(unbalancedTags(render(report, 'html')), []);
    });

    it(`${name}: is self-contained`, () => {
      const html = render(report, 'html');
      assert.doesNotMatch(html, /\s(src|href)="(?!#)/, 'no external src or href');
      assert.doesNotMatch(html, /@import|url\(|<link\b/i, 'no external stylesheets or fonts');
      assert.match(html, /<style>/);
      assert.match(html, /Content-Security-Policy/);
    });
  }

  it('has the verdict banner, root cause, heatmap, route grid, layers, rules and gaps', () => {
    const html = render(seed004StalledFlannel, 'html');
    assert.match(html, /<header class="banner broken">/);
    assert.match(html, /<span class="category">cni\.agent-stalled<\/span>/);
    assert.match(html, /<table class="heatmap">/);
    assert.match(html, /<td class="cell fail" title="pod-to-pod-icmp\/worker-1\/worker-2: /);
    assert.match(html, /<td class="cell missing" title="no route">NO ROUTE ✗<\/td>/);
    assert.match(html, /<section class="layer" id="layer-cni">/);
    assert.match(html, /<details class="rules">/);
    assert.match(
      html,
      /<span class="badge skipped">skipped<\/span><\/td><td>Talos nodes have no iptables-legacy/,
    );
    assert.match(html, /<section id="gaps">/);
    assert.match(html, /netdoctor fix --dry-run/);
  });

  it('shows the NetworkPolicy matrix of a cluster with policies, naming the denying policy', async () => {
    // Recorded from the lab with a default-deny egress policy in namespace demo.
    const report = analyze(await readBundle('examples/dns-egress-blocked-by-policy'));
    const m = report.policyMatrix;
    assert.ok(m, 'the report carries the policy matrix');
    assert.ok(
      m.workloads.length > 0 && m.workloads.every((w) => w.namespace === 'demo'),
      'only namespaces with policies',
    );
    const denied = m.cells.filter((c) => c.state === 'egress-denied');
    assert.ok(denied.length > 0, 'the deny-all egress shows');
    assert.ok(
      denied.every((c) => (c.deniedBy ?? []).length > 0),
      'each denied cell names its policy',
    );
    const valid = validateReport(JSON.parse(render(report, 'json')));
    assert.deepEqual(valid.valid ? [] : valid.errors, []);
    const html = render(report, 'html');
    assert.match(html, /<section id="policies">/);
    assert.match(html, /<td class="cell fail" title="[^"]*egress-denied \(isolated by demo\//);
    assert.deepEqual(unbalancedTags(html), []);
    const none = render(analyze(await readBundle('examples/healthy')), 'html');
    assert.match(none, /No NetworkPolicy in the cluster/);
  });

  it('escapes every string that comes from the report', () => {
    const html = render(hostileReport(), 'html');
    assert.deepEqual(unbalancedTags(html), []);
    assert.equal(html.match(/<script/g)?.length, 1, 'only the page’s own script tag');
    assert.doesNotMatch(html, /<img/);
    assert.doesNotMatch(html, /alert\("pwned"\)/);
    assert.match(html, /&lt;script&gt;alert\(&quot;pwned&quot;\)&lt;\/script&gt;/);
    assert.match(html, /&quot;&gt;&lt;img src=x onerror=alert\(1\)&gt;/);
  });

  it('keeps hostile strings out of markdown markup and JUnit XML', () => {
    const report = hostileReport();
    const md = render(report, 'md');
    // Outside code spans and fences, no `<` may remain unescaped.
    const prose = md.replace(/^```[\s\S]*?^```$/gm, '').replace(/(`+)[\s\S]*?\1/g, '');
    assert.doesNotMatch(prose, /(?<!\\)</);

    const xml = render(report, 'junit');
    assert.deepEqual(unbalancedTags(xml, new Set()), []);
    assert.doesNotMatch(xml, /<script|<img/);
  });
});
