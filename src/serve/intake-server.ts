/**
 * The port agents deliver their summaries to, apart from the dashboard's: it answers only
 * `POST /api/agent-summary` (agent-intake.ts), so a NetworkPolicy can admit every node to it
 * (agents run in the nodes' network) while the report and dashboard stay closed to them.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AGENT_SUMMARY_PATH, type AgentIntake, receiveSummary } from './agent-intake.ts';
import { type RunningServer, send } from './server.ts';

const TEXT = 'text/plain; charset=utf-8';

export function startIntakeServer(host: string, port: number, intake: AgentIntake): Promise<RunningServer> {
  const server = createServer(
    { requestTimeout: 30_000, headersTimeout: 10_000, maxHeaderSize: 16_384 },
    (req, res) => {
      void (async () => {
        try {
          const path = (req.url ?? '/').split('?')[0];
          if (path !== AGENT_SUMMARY_PATH) return send(res, 404, TEXT, 'not found\n');
          if (req.method !== 'POST') return send(res, 405, TEXT, 'only POST\n', { allow: 'POST' });
          const a = await receiveSummary(intake, req);
          // A refused body may be left unread: close the connection rather than read it.
          if (a.status >= 400) res.setHeader('connection', 'close');
          if (a.status !== 204) return send(res, a.status, TEXT, `${a.message}\n`);
          res.writeHead(204, { 'cache-control': 'no-store' });
          res.end();
        } catch (err) {
          if (!res.headersSent) send(res, 500, TEXT, `internal error: ${(err as Error).message}\n`);
          else res.end();
        }
      })();
    },
  );
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const addr = server.address() as AddressInfo;
      const h = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
      resolve({
        url: `http://${h}:${addr.port}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
