/**
 * The controller's HTTP surface (node:http): the routes below and nothing else. It only reads:
 * GET and HEAD, no request body, a bounded URL and bounded header time, so nothing a client
 * sends can grow memory. Agents deliver their summaries to a port of their own
 * (intake-server.ts), so a NetworkPolicy can open that one to the nodes and keep this one closed. Everything it returns comes from the controller's redacted report.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { redactValue } from '../collect/redact/redact.ts';
import type { AgentRecord } from './agent-roster.ts';
import type { Controller, Served } from './controller.ts';
import { DASHBOARD } from './dashboard-page.ts';
import { EventStream } from './event-stream.ts';
import type { ServeMetrics } from './metrics-registry.ts';
import { nodeDetail } from './node-detail.ts';
import { type DashboardView, dashboardView } from './node-view.ts';

export interface ServerOptions {
  host: string;
  port: number;
  controller: Controller;
  metrics: ServeMetrics;
  /** The report source's description, shown on the dashboard and in /api/status. */
  source: string;
  maxEventClients?: number;
  heartbeatMs?: number;
  /** The latest summary of a node's agent, when agents report to this controller. */
  agentRecord?: (node: string) => AgentRecord | undefined;
}

/** A running server: its base URL and how to stop it. */
export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

const MAX_URL_LENGTH = 2048;
/** Incidents one /api/history answer holds at most. */
export const HISTORY_LIMIT_MAX = 1000;
const HISTORY_LIMIT_DEFAULT = 200;
/** Node names are DNS subdomains: at most 253 characters. */
const NODE_NAME_MAX = 253;

/** The dashboard view of a served report, computed once per report rather than per request. */
const views = new WeakMap<Served, DashboardView>();
function viewOf(served: Served): DashboardView {
  let v = views.get(served);
  if (!v) {
    v = dashboardView(served.report);
    views.set(served, v);
  }
  return v;
}

interface Ctx {
  opts: ServerOptions;
  events: EventStream;
}

type Route = (ctx: Ctx, url: URL, res: ServerResponse) => void | Promise<void>;

/** Every path served, explicitly. */
const ROUTES: Readonly<Record<string, Route>> = {
  '/': (_ctx, _url, res) => {
    send(res, 200, 'text/html; charset=utf-8', DASHBOARD.html, { 'content-security-policy': DASHBOARD.csp });
  },
  // Browsers ask for it on their own; an empty answer keeps a 404 out of their console.
  '/favicon.ico': (_ctx, _url, res) => {
    res.writeHead(204, { 'cache-control': 'max-age=86400' });
    res.end();
  },
  '/healthz': (_ctx, _url, res) => send(res, 200, 'text/plain; charset=utf-8', 'ok\n'),
  '/readyz': ({ opts }, _url, res) => {
    const ready = opts.controller.served !== undefined;
    send(res, ready ? 200 : 503, 'text/plain; charset=utf-8', ready ? 'ready\n' : 'no report yet\n');
  },
  '/api/report': ({ opts }, _url, res) => {
    const served = opts.controller.served;
    if (!served) return json(res, 503, statusOf(opts));
    send(res, 200, 'application/json; charset=utf-8', served.json, {
      'x-netdoctor-report-state': served.status.state,
    });
  },
  '/api/status': ({ opts }, _url, res) => json(res, 200, statusOf(opts)),
  '/api/view': ({ opts }, _url, res) => {
    const served = opts.controller.served;
    if (!served) return json(res, 503, statusOf(opts));
    json(res, 200, viewOf(served));
  },
  '/api/node': ({ opts }, url, res) => {
    const name = url.searchParams.get('name') ?? '';
    if (name === '' || name.length > NODE_NAME_MAX)
      return json(res, 400, { error: `name must be a node name of 1 to ${NODE_NAME_MAX} characters` });
    const served = opts.controller.served;
    if (!served) return json(res, 503, statusOf(opts));
    const detail = nodeDetail(served.report, viewOf(served), name, opts.agentRecord?.(name), Date.now());
    if (!detail) return json(res, 404, { error: `no node ${name} in the served report` });
    // The report part is redacted already; the agent's summary is not, so the whole answer is.
    json(res, 200, redactValue(detail));
  },
  '/api/history': ({ opts }, url, res) => {
    const raw = url.searchParams.get('limit');
    const limit = raw === null ? HISTORY_LIMIT_DEFAULT : Number(raw);
    if (!/^\d+$/.test(raw ?? '0') || limit < 1 || limit > HISTORY_LIMIT_MAX)
      return json(res, 400, { error: `limit must be a whole number from 1 to ${HISTORY_LIMIT_MAX}` });
    json(res, 200, { incidents: opts.controller.history.list(limit) });
  },
  '/api/events': ({ opts, events }, _url, res) => {
    const served = opts.controller.served;
    events.add(res, [
      { event: 'status', data: JSON.stringify(statusOf(opts)) },
      ...(served ? [{ event: 'report', data: served.compactJson }] : []),
    ]);
  },
  '/metrics': async ({ opts }, _url, res) => {
    send(res, 200, opts.metrics.registry.contentType, await opts.metrics.registry.metrics());
  },
};

function statusOf(opts: ServerOptions): { source: string; status: unknown } {
  return { source: opts.source, status: opts.controller.status };
}

export function startServer(opts: ServerOptions): Promise<RunningServer> {
  const events = new EventStream({
    maxClients: opts.maxEventClients ?? 64,
    heartbeatMs: opts.heartbeatMs ?? 15_000,
  });
  const ctx: Ctx = { opts, events };
  const unsubscribe = opts.controller.subscribe((served) => {
    events.send('status', JSON.stringify(statusOf(opts)));
    events.send('report', served.compactJson);
  });
  const server: Server = createServer(
    { requestTimeout: 30_000, headersTimeout: 10_000, maxHeaderSize: 16_384 },
    (req, res) => {
      void handle(ctx, req, res);
    },
  );
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      const addr = server.address() as AddressInfo;
      const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      resolve({
        url: `http://${host}:${addr.port}`,
        close: () => {
          unsubscribe();
          events.close();
          return new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          });
        },
      });
    });
  });
}

async function handle(ctx: Ctx, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    if ((req.url ?? '').length > MAX_URL_LENGTH)
      return send(res, 414, 'text/plain; charset=utf-8', 'URL too long\n');
    const url = new URL(req.url ?? '/', 'http://netdoctor.invalid');
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return send(res, 405, 'text/plain; charset=utf-8', 'only GET and HEAD\n', { allow: 'GET, HEAD' });
    const route = Object.hasOwn(ROUTES, url.pathname) ? ROUTES[url.pathname] : undefined;
    if (!route) return send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
    await route(ctx, url, res);
  } catch (err) {
    // A broken handler answers 500 for its request; the server and the other clients go on.
    if (!res.headersSent)
      send(
        res,
        500,
        'text/plain; charset=utf-8',
        `internal error: ${err instanceof Error ? err.message : String(err)}\n`,
      );
    else res.end();
  }
}

function json(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json; charset=utf-8', `${JSON.stringify(value, null, 2)}\n`);
}

export function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...headers,
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
