/**
 * `POST /api/agent-summary`: where agents deliver their rounds. In order, and each refusal with
 * its own status so an agent's log says what to fix:
 * 413 a body over the bound (read no further), 401 no or an invalid token, 403 a valid token that
 * is not an agent's or speaks for another node, 415 not JSON, 400 not a valid summary,
 * 503 the roster is full; 204 kept.
 */
import type { IncomingMessage } from 'node:http';
import { parseAgentSummary } from '../agent/agent-summary-schema.ts';
import { redactValue } from '../collect/redact/redact.ts';
import type { AgentAuthenticator } from './agent-auth.ts';
import type { AgentRoster } from './agent-roster.ts';

export const AGENT_SUMMARY_PATH = '/api/agent-summary';
/** A 5,000-rule, 200-finding summary stays far below this; a larger body is not a summary. */
export const DEFAULT_MAX_SUMMARY_BYTES = 512 * 1024;

export const INTAKE_OUTCOMES = [
  'accepted',
  'older',
  'too-large',
  'unauthenticated',
  'forbidden',
  'invalid',
  'full',
] as const;
export type IntakeOutcome = (typeof INTAKE_OUTCOMES)[number];

export interface AgentIntake {
  authenticator: AgentAuthenticator;
  roster: AgentRoster;
  maxBytes: number;
  now: () => number;
  /** Called with every outcome; on `accepted` the controller recomposes the served report. */
  onOutcome: (outcome: IntakeOutcome, node?: string) => void;
}

export interface IntakeAnswer {
  status: number;
  outcome: IntakeOutcome;
  message: string;
}

class TooLarge extends Error {}

async function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  if (declared > max) throw new TooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) throw new TooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function answer(
  intake: AgentIntake,
  status: number,
  outcome: IntakeOutcome,
  message: string,
  node?: string,
): IntakeAnswer {
  intake.onOutcome(outcome, node);
  return { status, outcome, message };
}

export async function receiveSummary(intake: AgentIntake, req: IncomingMessage): Promise<IntakeAnswer> {
  const auth = /^Bearer ([!-~]+)$/.exec(req.headers.authorization ?? '');
  if (!auth) return answer(intake, 401, 'unauthenticated', 'a bearer token is required');
  // The size is checked before the token: a TokenReview for every oversized body would let
  // anyone make the controller call the API server at will.
  let body: Buffer;
  try {
    body = await readBody(req, intake.maxBytes);
  } catch (e) {
    if (e instanceof TooLarge)
      return answer(intake, 413, 'too-large', `a summary is at most ${intake.maxBytes} bytes`);
    throw e;
  }
  const who = await intake.authenticator.authenticate(auth[1]!);
  if (!who.ok)
    return answer(intake, who.status, who.status === 401 ? 'unauthenticated' : 'forbidden', who.reason);
  if (!/^application\/json\b/.test(req.headers['content-type'] ?? ''))
    return answer(intake, 415, 'invalid', 'the summary must be sent as application/json');
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return answer(intake, 400, 'invalid', 'the body is not JSON');
  }
  const parsed = parseAgentSummary(value);
  if (!parsed.ok) return answer(intake, 400, 'invalid', `not an agent summary: ${parsed.error}`);
  const node = parsed.summary.node;
  if (who.node !== undefined && who.node !== node)
    return answer(intake, 403, 'forbidden', `the token was issued on node ${who.node}, not ${node}`, node);
  // What is kept is served: it goes through the same redaction as every report.
  const kept = intake.roster.accept(redactValue(parsed.summary), intake.now());
  if (kept === 'full') return answer(intake, 503, 'full', 'the controller keeps no more nodes', node);
  return answer(intake, 204, kept, kept === 'older' ? 'a newer summary is kept' : '', node);
}
