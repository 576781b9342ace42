/**
 * schema/report.schema.json is the published contract: it must say what the model says (the
 * vocabularies are the model's constants), accept every real report and reject broken ones
 * with a message that names the place and the problem.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  GAP_REASONS,
  LAYERS,
  ROOT_CAUSE_CATEGORIES,
  SEVERITIES,
  SYMPTOM_KINDS,
} from '../../src/core/model.ts';
import { CELL_STATES } from '../../src/core/policy-matrix.ts';
import { PROBE_SCENARIOS } from '../../src/core/probe-types.ts';
import { render, validateReport } from '../../src/report/index.ts';
import { REPORT_SCHEMA_URL } from '../../src/report/validate-schema.ts';
import { REPORT_FIXTURES } from '../fixtures/report/index.ts';
import { seed004StalledFlannel } from '../fixtures/report/seed-004-stalled-flannel.ts';

interface SchemaDoc {
  $schema: string;
  properties: Record<string, unknown>;
  $defs: Record<string, { enum?: unknown[]; properties?: Record<string, { enum?: unknown[] }> }>;
}
const schema = JSON.parse(readFileSync(REPORT_SCHEMA_URL, 'utf8')) as SchemaDoc;

/** A deep copy of a fixture, to break in one place. */
function reportJson(): Record<string, unknown> {
  return JSON.parse(render(seed004StalledFlannel, 'json')) as Record<string, unknown>;
}

function errorsOf(json: unknown): string[] {
  const r = validateReport(json);
  assert.equal(r.valid, false, 'expected the report to be rejected');
  return r.valid ? [] : r.errors;
}

describe('report schema', () => {
  it('is draft 2020-12', () => {
    assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
  });

  it('has the root-cause categories of the model, in order', () => {
    assert.deepEqual(schema.$defs['rootCauseCategory']?.enum, [...ROOT_CAUSE_CATEGORIES]);
  });

  it('has the other vocabularies of the model', () => {
    assert.deepEqual(schema.$defs['layer']?.enum, [...LAYERS]);
    assert.deepEqual(schema.$defs['severity']?.enum, [...SEVERITIES]);
    assert.deepEqual(schema.$defs['gap']?.properties?.['reason']?.enum, [...GAP_REASONS]);
    assert.deepEqual(schema.$defs['probeResult']?.properties?.['scenario']?.enum, [...PROBE_SCENARIOS]);
    const symptom = schema.$defs['finding']?.properties?.['symptom'] as
      | { properties: { kind: { enum: unknown[] } } }
      | undefined;
    assert.deepEqual(symptom?.properties.kind.enum, [...SYMPTOM_KINDS]);
    const cell = schema.$defs['policyMatrix']?.properties?.['cells'] as
      | { items: { properties: { state: { enum: unknown[] } } } }
      | undefined;
    assert.deepEqual(cell?.items.properties.state.enum, [...CELL_STATES]);
  });

  for (const { name, report } of REPORT_FIXTURES) {
    it(`accepts the ${name} report as rendered to JSON`, () => {
      assert.deepEqual(validateReport(JSON.parse(render(report, 'json'))), { valid: true });
    });
  }

  it('accepts a report whose probes did not run (`probes: {}`) and that has no route matrix', () => {
    const json = reportJson();
    json['probes'] = {};
    delete json['routeMatrix'];
    assert.deepEqual(validateReport(json), { valid: true });
  });

  it('rejects an unknown root-cause category, naming where and what is allowed', () => {
    const json = reportJson();
    (json['rootCauses'] as { category: string }[])[0]!.category = 'cni.gremlins';
    const errors = errorsOf(json);
    const hit = errors.find((e) => e.startsWith('/rootCauses/0/category'));
    assert.ok(hit, errors.join('\n'));
    assert.match(hit, /must be one of .*"cni\.agent-stalled"/);
  });

  it('rejects a wrong schemaVersion and a missing verdict', () => {
    const json = reportJson();
    json['schemaVersion'] = 2;
    delete json['verdict'];
    const errors = errorsOf(json);
    assert.ok(errors.includes('/schemaVersion must be 1'), errors.join('\n'));
    assert.ok(
      errors.some((e) => e.includes("must have required property 'verdict'")),
      errors.join('\n'),
    );
  });

  it('rejects a confidence outside 0..1 and an unknown property', () => {
    const json = reportJson();
    const rc = (json['rootCauses'] as Record<string, unknown>[])[0]!;
    rc['confidence'] = 1.5;
    rc['blame'] = 'the network team';
    const errors = errorsOf(json);
    assert.ok(errors.includes('/rootCauses/0/confidence must be <= 1'), errors.join('\n'));
    assert.ok(errors.includes('/rootCauses/0 has unknown property "blame"'), errors.join('\n'));
  });

  it('rejects something that is not a report at all', () => {
    const errors = errorsOf([1, 2, 3]);
    assert.ok(
      errors.some((e) => e.startsWith('(root)')),
      errors.join('\n'),
    );
  });
});
