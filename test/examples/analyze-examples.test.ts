import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { analyze } from '../../src/analyze/engine.ts';
import { readBundle } from '../../src/collect/bundle/read.ts';
import { EXAMPLES_DIR, loadExampleCatalog, matchesExpectation } from '../../src/examples/catalog.ts';
import { validateReport } from '../../src/report/index.ts';

const catalog = await loadExampleCatalog();

describe('analysis of the recorded example bundles', () => {
  it('ships a healthy example and at least four catalog faults, seed 004 among them', () => {
    assert.ok(catalog.some((e) => e.expected.length === 0));
    assert.ok(catalog.filter((e) => e.expected.length > 0).length >= 4);
    assert.ok(catalog.some((e) => e.expected.some((x) => x.category === 'cni.agent-stalled')));
  });

  for (const ex of catalog) {
    it(`${ex.id}: ${ex.expected.length === 0 ? 'no root cause, verdict healthy' : ex.expected.map((e) => `${e.category} on ${e.subject?.name ?? 'any subject'}`).join(', ')}`, async () => {
      const report = analyze(await readBundle(join(EXAMPLES_DIR, ex.id)));
      const named = report.rootCauses.map((rc) => `${rc.category} ${rc.subject.kind}/${rc.subject.name}`);
      assert.ok(matchesExpectation(ex.expected, report.rootCauses), `got: ${named.join('; ') || 'none'}`);
      if (ex.expected.length === 0) {
        assert.equal(report.verdict, 'healthy');
        const loud = report.findings.filter((f) => f.severity !== 'info');
        assert.deepEqual(
          loud.map((f) => f.id),
          [],
          'a healthy cluster has no finding above info',
        );
      } else {
        // The expected cause is the one ranked first: symptoms and lesser causes sit under it.
        const first = report.rootCauses[0];
        assert.ok(
          ex.expected.some(
            (e) =>
              e.category === first?.category &&
              (e.subject === undefined || e.subject.name === first?.subject.name),
          ),
          `first: ${named[0]}`,
        );
        assert.notEqual(report.verdict, 'healthy');
        assert.ok(first && first.evidence.length > 0, 'the root cause carries evidence');
      }
      // No false root causes: every one is the fault's, or a diagnosis the catalog also accepts.
      const allowed = [...ex.expected, ...(ex.alternatives ?? [])];
      const outside = report.rootCauses.filter(
        (rc) =>
          !allowed.some(
            (e) =>
              e.category === rc.category && (e.subject === undefined || e.subject.name === rc.subject.name),
          ),
      );
      assert.deepEqual(
        outside.map((rc) => `${rc.category} ${rc.subject.kind}/${rc.subject.name}`),
        [],
        "a root cause outside the example's fault",
      );
      assert.deepEqual(validateReport(JSON.parse(JSON.stringify(report))), { valid: true });
    });
  }
});

describe('traced causes on the recorded examples', () => {
  for (const ex of catalog.filter((e) => e.expected.length > 0)) {
    it(`${ex.id}: every broken hop a failed probe dies at is the fault's own root cause, or under it`, async () => {
      const report = analyze(await readBundle(join(EXAMPLES_DIR, ex.id)));
      const categories = new Set(ex.expected.map((e) => e.category));
      for (const f of report.findings.filter((x) => x.rule === 'trace-failed-probes')) {
        const under = report.rootCauses.find((rc) => rc.finding === f.id || rc.explains.includes(f.id));
        assert.ok(
          under && categories.has(under.category),
          `${f.id} (${f.summary}) sits under ${under?.category}`,
        );
      }
    });
  }

  it('the datapath faults among them are found by tracing too', async () => {
    const tracedIn = async (id: string) =>
      analyze(await readBundle(join(EXAMPLES_DIR, id)))
        .findings.filter((f) => f.rule === 'trace-failed-probes')
        .map((f) => `${f.cause?.category} ${f.subject.name}`);
    assert.ok((await tracedIn('ip-forward-disabled')).includes('node.ip-forward-disabled ndlab-node2'));
    assert.ok((await tracedIn('vxlan-port-blocked')).includes('overlay.port-blocked ndlab-node2'));
    assert.ok((await tracedIn('masquerade-removed')).includes('node.masquerade-missing ndlab-node2'));
    assert.ok((await tracedIn('iptables-backend-mixed')).includes('node.iptables-backend-mixed ndlab-node2'));
    assert.deepEqual(
      [...new Set(await tracedIn('flannel-agent-stalled'))],
      ['cni.routes-missing ndlab-node2'],
    );
  });
});
