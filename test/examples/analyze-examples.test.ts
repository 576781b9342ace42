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
      assert.deepEqual(validateReport(JSON.parse(JSON.stringify(report))), { valid: true });
    });
  }
});
