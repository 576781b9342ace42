/**
 * The agent's HTTP endpoint: `/metrics` for Prometheus, `/healthz`, `/api/identity` (the node it
 * runs on) and `/api/summary` (the last round, for the controller and for people). Peer agents'
 * TCP probes connect to this same port.
 */
import { createServer, type Server } from 'node:http';
import type { AgentMetrics } from './agent-metrics.ts';
import type { AgentSummary } from './agent-summary.ts';

export interface AgentServer {
  server: Server;
  /** The bound port (useful with port 0). */
  port: number;
  close(): Promise<void>;
}

export async function startAgentServer(
  host: string,
  port: number,
  node: string,
  metrics: AgentMetrics,
  latest: () => AgentSummary | undefined,
): Promise<AgentServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') {
      res.writeHead(405, { allow: 'GET' }).end();
      return;
    }
    if (path === '/metrics') {
      metrics.registry
        .metrics()
        .then((text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text))
        .catch((e: unknown) => res.writeHead(500).end(String(e)));
    } else if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (path === '/api/identity') {
      // How peers found through DNS learn which node this address is.
      res.writeHead(200, { 'content-type': 'application/json' }).end(`${JSON.stringify({ node })}\n`);
    } else if (path === '/api/summary') {
      const s = latest();
      if (s === undefined)
        res.writeHead(503, { 'content-type': 'text/plain' }).end('no round finished yet\n');
      else res.writeHead(200, { 'content-type': 'application/json' }).end(`${JSON.stringify(s)}\n`);
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  return {
    server,
    port: typeof address === 'object' && address ? address.port : port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
