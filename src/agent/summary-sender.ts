/**
 * Sends each round's summary to the controller (`netdoctor serve`'s /api/agent-summary), with
 * the agent's ServiceAccount token as its proof of who it is. The token file is re-read on every
 * send: the kubelet rotates projected tokens in place. A send that fails is logged and counted,
 * never retried within the round: the next round sends a newer summary anyway.
 */
import { readFile } from 'node:fs/promises';
import type { AgentSummary } from './agent-summary.ts';
import { httpCall } from './http-call.ts';

export const SEND_OUTCOMES = ['accepted', 'refused', 'failed'] as const;
/** accepted: 2xx; refused: the controller answered no (4xx/5xx); failed: no answer at all. */
export type SendOutcome = (typeof SEND_OUTCOMES)[number];

export interface SenderOptions {
  url: string;
  tokenFile: string;
  timeoutMs: number;
}

export async function sendSummary(
  o: SenderOptions,
  summary: AgentSummary,
): Promise<{ outcome: SendOutcome; detail: string }> {
  let token: string;
  try {
    token = (await readFile(o.tokenFile, 'utf8')).trim();
  } catch (e) {
    return { outcome: 'failed', detail: `no token at ${o.tokenFile}: ${(e as Error).message}` };
  }
  try {
    const res = await httpCall(o.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(summary),
      timeoutMs: o.timeoutMs,
      maxBytes: 4096,
    });
    return res.status >= 200 && res.status <= 299
      ? { outcome: 'accepted', detail: `${res.status}` }
      : { outcome: 'refused', detail: `${res.status}: ${res.text.trim().slice(0, 300)}` };
  } catch (e) {
    return { outcome: 'failed', detail: (e as Error).message };
  }
}
