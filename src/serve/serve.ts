/**
 * `netdoctor serve` without the command line: the history, the metrics, the controller loop
 * and the HTTP server, wired together and torn down in the reverse order. The command and the
 * tests both start it here, so the tests run the server people run.
 */
import { Controller } from './controller.ts';
import { HistoryStore } from './history-store.ts';
import { ServeMetrics } from './metrics-registry.ts';
import type { ReportSource } from './report-source.ts';
import { type RunningServer, startServer } from './server.ts';

export interface ServeOptions {
  source: ReportSource;
  host: string;
  port: number;
  intervalMs: number;
  roundTimeoutMs: number;
  historyPath: string;
  historyMaxRows: number;
  log: (message: string) => void;
  heartbeatMs?: number;
}

export interface RunningServe {
  url: string;
  controller: Controller;
  metrics: ServeMetrics;
  /** Resolves once the first round ended (a report, or a failure recorded as such). */
  firstRound: Promise<void>;
  close(): Promise<void>;
}

export async function startServe(opts: ServeOptions): Promise<RunningServe> {
  const history = HistoryStore.open({ path: opts.historyPath, maxRows: opts.historyMaxRows });
  const metrics = new ServeMetrics();
  const controller = new Controller(opts.source, history, metrics, {
    intervalMs: opts.intervalMs,
    roundTimeoutMs: opts.roundTimeoutMs,
    log: opts.log,
  });
  let server: RunningServer;
  try {
    server = await startServer({
      host: opts.host,
      port: opts.port,
      controller,
      metrics,
      source: opts.source.description,
      ...(opts.heartbeatMs ? { heartbeatMs: opts.heartbeatMs } : {}),
    });
  } catch (err) {
    history.close();
    throw err;
  }
  // The server answers (healthz, a 503 readyz) while the first report is being made.
  const firstRound = controller.runOnce();
  void firstRound.finally(() => controller.start());
  let closing: Promise<void> | undefined;
  return {
    url: server.url,
    controller,
    metrics,
    firstRound,
    close: () => {
      closing ??= (async () => {
        await server.close();
        await controller.stop();
        await opts.source.close();
        history.close();
      })();
      return closing;
    },
  };
}
