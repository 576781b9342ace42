/**
 * `netdoctor serve` over the recorded healthy lab bundle, taking agent summaries on a free
 * port: the analysis is fixed (the interval never fires within a test), so what changes the
 * served report is what the agents send.
 */
import { join } from 'node:path';
import { EXAMPLES_DIR } from '../../src/examples/catalog.ts';
import type { AgentAuthenticator } from '../../src/serve/agent-auth.ts';
import { BundleSource } from '../../src/serve/bundle-source.ts';
import { type RunningServe, startServe } from '../../src/serve/serve.ts';
import { scratchDir } from './scratch-dir.ts';

export async function serveWithAgents(
  authenticator: AgentAuthenticator,
  staleAfterMs: number,
): Promise<RunningServe> {
  const dir = await scratchDir('ndt-serve-agents-');
  const s = await startServe({
    source: new BundleSource(join(EXAMPLES_DIR, 'healthy')),
    host: '127.0.0.1',
    port: 0,
    intervalMs: 3_600_000,
    roundTimeoutMs: 60_000,
    historyPath: join(dir, 'h.sqlite'),
    historyMaxRows: 100,
    log: () => {},
    agents: { port: 0, authenticator, staleAfterMs },
  });
  await s.firstRound;
  return s;
}
