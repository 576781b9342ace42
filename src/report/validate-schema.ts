/**
 * Validates a report against schema/report.schema.json, the published form of the PRODUCT.md
 * contract. The schema is read relative to this module: `../../schema` is the repository's
 * schema folder from both src/report/ and dist/report/.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

export const REPORT_SCHEMA_URL = new URL('../../schema/report.schema.json', import.meta.url);

export type ReportValidation = { valid: true } | { valid: false; errors: string[] };

// ajv-formats is CommonJS; under nodenext its types put the plugin on `.default`, while Node
// hands ESM the module.exports function itself. Accept either shape.
type FormatsPlugin = (ajv: Ajv2020) => unknown;
const formatsModule = addFormatsModule as unknown as FormatsPlugin | { default: FormatsPlugin };
const addFormats: FormatsPlugin = typeof formatsModule === 'function' ? formatsModule : formatsModule.default;

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (compiled === undefined) {
    const schema = JSON.parse(readFileSync(REPORT_SCHEMA_URL, 'utf8')) as object;
    const ajv = new Ajv2020({ allErrors: true, strict: true });
    addFormats(ajv);
    compiled = ajv.compile(schema);
  }
  return compiled;
}

/** Checks a parsed report.json; each error names the JSON pointer and what was wrong there. */
export function validateReport(json: unknown): ReportValidation {
  const validate = validator();
  if (validate(json)) return { valid: true };
  return { valid: false, errors: (validate.errors ?? []).map(describeError) };
}

function describeError(e: ErrorObject): string {
  const at = e.instancePath === '' ? '(root)' : e.instancePath;
  const params = e.params as Record<string, unknown>;
  let detail = e.message ?? 'is invalid';
  if (e.keyword === 'additionalProperties')
    detail = `has unknown property "${String(params['additionalProperty'])}"`;
  else if (e.keyword === 'enum')
    detail = `must be one of ${(params['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
  else if (e.keyword === 'const') detail = `must be ${JSON.stringify(params['allowedValue'])}`;
  return `${at} ${detail}`;
}
