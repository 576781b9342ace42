/**
 * A lean JSON client for filling the API server: plain node:https with a keep-alive agent and
 * the kubeconfig's credentials. client-node's typed models would serialise each of 170,000
 * objects through its ObjectSerializer, CPU the two-core lab's API server needs more.
 */
import https from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';

/** One API server, addressed by path: `req('POST', '/api/v1/nodes', body)`. */
export interface Api {
  readonly server: string;
  req(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }>;
  close(): void;
}

/** An error answer of the API server, with its status and message. */
export class ApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** Connects with the kubeconfig's current context; `sockets` caps connections in flight. */
export async function openApi(kubeconfig: string, sockets: number): Promise<Api> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new Error(`${kubeconfig}: no current cluster`);
  const tls: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(tls);
  const agent = new https.Agent({
    keepAlive: true,
    maxSockets: sockets,
    ca: tls.ca,
    cert: tls.cert,
    key: tls.key,
  });
  const base = new URL(server);
  const req = (method: string, path: string, body?: unknown) =>
    new Promise<{ status: number; body: unknown }>((resolve, reject) => {
      const data = body === undefined ? undefined : JSON.stringify(body);
      const r = https.request(
        {
          agent,
          host: base.hostname,
          port: base.port || 443,
          method,
          path,
          headers: {
            accept: 'application/json',
            ...(data
              ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) }
              : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = text;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              // not JSON (a proxy's HTML error page): kept as text for the message
            }
            const status = res.statusCode ?? 0;
            if (status >= 400) {
              const msg = (parsed as { message?: string } | undefined)?.message ?? text.slice(0, 300);
              reject(new ApiError(status, `${method} ${path}: ${status} ${msg}`));
            } else resolve({ status, body: parsed });
          });
          res.on('error', reject);
        },
      );
      r.on('error', reject);
      r.end(data);
    });
  return { server, req, close: () => agent.destroy() };
}

/** Like `api.req`, but an object already there (409) or already gone (404) is fine. */
export async function idempotent(api: Api, method: string, path: string, body?: unknown): Promise<void> {
  try {
    await api.req(method, path, body);
  } catch (err) {
    const s = err instanceof ApiError ? err.status : 0;
    if (!((method === 'POST' && s === 409) || (method === 'DELETE' && s === 404))) throw err;
  }
}

/**
 * Retries an API call that failed for load (429, 5xx, a reset connection) a few times with
 * backoff: at full size the API server sheds load now and then, and one shed create must not
 * cost the whole run.
 */
export async function withRetry<T>(fn: () => Promise<T>, attempts = 6): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      const s = err instanceof ApiError ? err.status : 0;
      const transient = s === 429 || s >= 500 || !(err instanceof ApiError);
      if (!transient || i >= attempts) throw err;
      await new Promise((r) => setTimeout(r, 250 * 2 ** i));
    }
  }
}
