/**
 * The agent's few HTTP calls (a peer's identity, the summary to the controller) on Node's own
 * http client. Not `fetch`: its first use loads undici, about 10 MB of resident memory that a
 * process held to 100 MB for the life of a node cannot spare for two small requests a round.
 * https is loaded only when a URL asks for it.
 */
import type { IncomingMessage, RequestOptions } from 'node:http';

/** What a call asks for. */
export interface HttpCall {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** For the whole call: connect, send and read. */
  timeoutMs: number;
  /** Answers longer than this are cut here (the agent reads small JSON documents only). */
  maxBytes?: number;
}

/** An answer: its status and (at most maxBytes of) its body. */
export interface HttpAnswer {
  status: number;
  text: string;
}

const DEFAULT_MAX_BYTES = 1 << 20;

/** Makes one call; rejects on no answer (refused, reset, timed out) with the reason. */
export async function httpCall(url: string, call: HttpCall): Promise<HttpAnswer> {
  const u = new URL(url);
  const { request } = u.protocol === 'https:' ? await import('node:https') : await import('node:http');
  const maxBytes = call.maxBytes ?? DEFAULT_MAX_BYTES;
  const options: RequestOptions = {
    method: call.method ?? 'GET',
    headers: {
      ...call.headers,
      ...(call.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(call.body)) }),
    },
    signal: AbortSignal.timeout(call.timeoutMs),
  };
  return new Promise<HttpAnswer>((resolve, reject) => {
    const req = request(u, options, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (size >= maxBytes) return;
        chunks.push(c);
        size += c.length;
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8', 0, maxBytes) }),
      );
      res.on('error', reject);
    });
    req.on('error', (e: Error) =>
      reject(e.name === 'AbortError' ? new Error(`no answer within ${call.timeoutMs} ms`) : e),
    );
    req.end(call.body);
  });
}
