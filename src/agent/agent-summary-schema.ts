/**
 * The JSON Schema of an agent's summary, as the controller accepts it: every summary it is sent
 * is checked against this before anything of it is kept. Findings and gaps are the report's own
 * definitions (schema/report.schema.json), so a summary cannot carry what a report could not.
 * Arrays and strings are bounded: a valid summary is also a small one.
 */
import { readFileSync } from 'node:fs';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { REPORT_SCHEMA_URL } from '../report/validate-schema.ts';
import type { AgentSummary } from './agent-summary.ts';
import { PEER_PROBE_KINDS } from './peer-probe.ts';
import { CLUSTER_SERVICES, SERVICE_PROBE_KINDS } from './service-targets.ts';

const REPORT = 'urn:netdoctor:schema:report:1';
const name = { type: 'string', minLength: 1, maxLength: 253 } as const;
const shortText = { type: 'string', maxLength: 1024 } as const;
const whole = { type: 'integer', minimum: 0, maximum: 1_000_000 } as const;

const probe = {
  type: 'object',
  required: ['peer', 'kind', 'status'],
  properties: {
    peer: name,
    kind: { enum: [...PEER_PROBE_KINDS] },
    status: { enum: ['ok', 'lost', 'error'] },
    rttMs: { type: 'number', minimum: 0 },
    sent: whole,
    received: whole,
    detail: shortText,
  },
  additionalProperties: false,
} as const;

const serviceId = { enum: Object.keys(CLUSTER_SERVICES) } as const;

const serviceProbe = {
  type: 'object',
  required: ['service', 'via', 'target', 'kind', 'status'],
  properties: {
    service: serviceId,
    via: { enum: ['cluster-ip', 'endpoint'] },
    target: { type: 'string', minLength: 1, maxLength: 64 },
    kind: { enum: [...SERVICE_PROBE_KINDS] },
    status: { enum: ['ok', 'lost', 'error'] },
    rttMs: { type: 'number', minimum: 0 },
    rcode: { type: 'string', maxLength: 16 },
    detail: shortText,
  },
  additionalProperties: false,
} as const;

export const AGENT_SUMMARY_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'urn:netdoctor:schema:agent-summary:1',
  type: 'object',
  required: ['node', 'round', 'at', 'findings', 'judged', 'gaps', 'notCollected', 'probes'],
  properties: {
    node: name,
    round: { type: 'integer', minimum: 0 },
    at: { type: 'string', format: 'date-time' },
    findings: { type: 'array', maxItems: 200, items: { $ref: `${REPORT}#/$defs/finding` } },
    judged: { type: 'array', maxItems: 500, items: name },
    facts: {
      type: 'object',
      required: ['peerRoutes', 'fdbEntries', 'mtu'],
      properties: {
        peerRoutes: whole,
        fdbEntries: whole,
        mtu: {
          type: 'object',
          maxProperties: 64,
          additionalProperties: { type: 'integer', minimum: 0, maximum: 65_535 },
        },
      },
      additionalProperties: false,
    },
    gaps: { type: 'array', maxItems: 200, items: { $ref: `${REPORT}#/$defs/gap` } },
    notCollected: { type: 'array', maxItems: 200, items: name },
    probes: { type: 'array', maxItems: 2000, items: probe },
    // Optional: agents older than these probes send summaries without them.
    services: { type: 'array', maxItems: 200, items: serviceProbe },
    servicesNotProbed: {
      type: 'array',
      maxItems: 10,
      items: {
        type: 'object',
        required: ['service', 'detail'],
        properties: { service: serviceId, detail: shortText },
        additionalProperties: false,
      },
    },
  },
  additionalProperties: false,
} as const;

let compiled: ValidateFunction | undefined;

function validator(): ValidateFunction {
  if (compiled === undefined) {
    const ajv = new Ajv2020({ allErrors: false, strict: true, validateFormats: false });
    ajv.addSchema(JSON.parse(readFileSync(REPORT_SCHEMA_URL, 'utf8')) as object);
    compiled = ajv.compile(AGENT_SUMMARY_SCHEMA);
  }
  return compiled;
}

/** The summary when `value` is a valid one; otherwise why not, in one line. */
export function parseAgentSummary(
  value: unknown,
): { ok: true; summary: AgentSummary } | { ok: false; error: string } {
  const validate = validator();
  if (validate(value) && !Number.isNaN(Date.parse((value as AgentSummary).at)))
    return { ok: true, summary: value as AgentSummary };
  const e = validate.errors?.[0];
  return {
    ok: false,
    error: e ? `${e.instancePath || '(root)'} ${e.message ?? 'is invalid'}` : '/at is not a time',
  };
}
