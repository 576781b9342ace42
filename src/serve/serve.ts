/**
 * `netdoctor serve` without the command line: the history, the metrics, the controller loop
 * and the HTTP server, wired together and torn down in the reverse order. The command and the
 * tests both start it here, so the tests run the server people run.
 */
import type { Report } from '../core/model.ts';
import type { AgentAuthenticator } from './agent-auth.ts';
import { type AgentIntake, DEFAULT_MAX_SUMMARY_BYTES } from './agent-intake.ts';
import { agentStates, mergeAgents } from './agent-merge.ts';
import { AgentRoster } from './agent-roster.ts';
import { Controller } from './controller.ts';
import { HistoryStore } from './history-store.ts';
import { startIntakeServer } from './intake-server.ts';
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
  /** Take the agents' summaries: who may send them, and when a silent agent's node turns unknown. */
  agents?: AgentIntakeOptions;
}

export interface AgentIntakeOptions {
  /** The intake's own port (0: any free one); it listens on the same host as the dashboard. */
  port: number;
  authenticator: AgentAuthenticator;
  staleAfterMs: number;
  maxBytes?: number;
}

export interface RunningServe {
  url: string;
  /** Where agents send their summaries, when the controller takes them. */
  intakeUrl?: string;
  controller: Controller;
  metrics: ServeMetrics;
  /** Resolves once the first round ended (a report, or a failure recorded as such). */
  firstRound: Promise<void>;
  close(): Promise<void>;
}

export async function startServe(opts: ServeOptions): Promise<RunningServe> {
  const history = HistoryStore.open({ path: opts.historyPath, maxRows: opts.historyMaxRows });
  const metrics = new ServeMetrics();
  const roster = new AgentRoster();
  const agents = opts.agents;
  const controller = new Controller(opts.source, history, metrics, {
    intervalMs: opts.intervalMs,
    roundTimeoutMs: opts.roundTimeoutMs,
    log: opts.log,
    ...(agents
      ? {
          compose: (report: Report, at: Date) => {
            const o = { now: at.getTime(), staleAfterMs: agents.staleAfterMs };
            metrics.setAgents(agentStates(report, roster.records(), o));
            return mergeAgents(report, roster.records(), o);
          },
        }
      : {}),
  });
  const intake = agents ? agentIntake(agents, roster, controller, metrics, opts.log) : undefined;
  let server: RunningServer;
  try {
    server = await startServer({
      host: opts.host,
      port: opts.port,
      controller,
      metrics,
      source: opts.source.description,
      ...(opts.heartbeatMs ? { heartbeatMs: opts.heartbeatMs } : {}),
      ...(agents ? { agentRecord: (node: string) => roster.get(node) } : {}),
    });
  } catch (err) {
    intake?.stop();
    history.close();
    throw err;
  }
  let intakeServer: RunningServer | undefined;
  try {
    if (intake && agents) intakeServer = await startIntakeServer(opts.host, agents.port, intake.intake);
  } catch (err) {
    intake?.stop();
    await server.close();
    history.close();
    throw err;
  }
  // The server answers (healthz, a 503 readyz) while the first report is being made.
  const firstRound = controller.runOnce();
  void firstRound.finally(() => controller.start());
  let closing: Promise<void> | undefined;
  return {
    url: server.url,
    ...(intakeServer ? { intakeUrl: intakeServer.url } : {}),
    controller,
    metrics,
    firstRound,
    close: () => {
      closing ??= (async () => {
        intake?.stop();
        await intakeServer?.close();
        await server.close();
        await controller.stop();
        await opts.source.close();
        history.close();
      })();
      return closing;
    },
  };
}

/**
 * The intake and its clock: an accepted summary recomposes the report within a second (many
 * arriving together recompose it once), and a tick recomposes it while agents are quiet, so one
 * that stops sending turns its node unknown within `staleAfterMs` plus a tick.
 */
function agentIntake(
  o: AgentIntakeOptions,
  roster: AgentRoster,
  controller: Controller,
  metrics: ServeMetrics,
  log: (m: string) => void,
): { intake: AgentIntake; stop(): void } {
  let pending: NodeJS.Timeout | undefined;
  const refresh = (): void => {
    pending = undefined;
    try {
      controller.refresh();
    } catch (e) {
      log(`the report could not be recomposed: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  const tick = setInterval(refresh, Math.min(5_000, Math.max(1_000, o.staleAfterMs / 3)));
  tick.unref();
  metrics.summaryReceived(undefined);
  return {
    intake: {
      authenticator: o.authenticator,
      roster,
      maxBytes: o.maxBytes ?? DEFAULT_MAX_SUMMARY_BYTES,
      now: Date.now,
      onOutcome: (outcome, node) => {
        metrics.summaryReceived(outcome);
        if (outcome === 'accepted') pending ??= setTimeout(refresh, 1_000);
        else if (outcome !== 'older') log(`agent summary refused (${outcome})${node ? ` from ${node}` : ''}`);
      },
    },
    stop: () => {
      clearInterval(tick);
      if (pending) clearTimeout(pending);
    },
  };
}
