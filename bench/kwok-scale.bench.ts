/**
 * netdoctor's cluster collection (what `diagnose --node-access none` reads from the API) against
 * a real API server holding a 5,000-node cluster: the lab's control plane, with nodes and pods
 * simulated by kwok (lab/build.sh kwok). Creates the objects, waits until kwok has every node
 * Ready and every pod Running, then runs the collection in a child process and prints its wall
 * time, API calls, pages, bytes, peak RSS and one round of probe planning; checks every object
 * came back (pagination). Everything it made is deleted at the end, on Ctrl-C and on failure too.
 * Goal: collection within 30 s.
 *
 *   node src/cli/main.ts lab up
 *   node bench/kwok-scale.bench.ts [--quick] [--nodes N] [--pods N] [--namespaces N]
 *        [--services N] [--policies N] [--concurrency N] [--runs N] [--kwok-parallelism N]
 *        [--settle-minutes N] [--play-pods]
 *   node bench/kwok-scale.bench.ts --cleanup   # only delete what a killed run left behind
 *
 * Pods stay Pending on their nodes unless --play-pods: kwok writing each one's Running status
 * doubles the writes and, on the lab's two cores, would take hours at full size.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Api, openApi } from './kwok/api.ts';
import type { CollectFigures } from './kwok/collect-child.ts';
import { type Kwok, startKwok } from './kwok/kwok-process.ts';
import { FULL, QUICK, type Sizes } from './kwok/objects.ts';
import { createAll, deleteAll, leftovers, type Stop } from './kwok/populate.ts';
import { countKinds, KINDS, waitQuiet, waitRunning } from './kwok/readiness.ts';

const GOAL_MS = 30_000;
const ROOT = new URL('..', import.meta.url).pathname;

const args = process.argv.slice(2);
const flag = (name: string, fallback: number): number => {
  const i = args.indexOf(`--${name}`);
  const v = i >= 0 ? Number(args[i + 1]) : Number.NaN;
  return Number.isInteger(v) && v > 0 ? v : fallback;
};
const base = args.includes('--quick') ? QUICK : FULL;
const sizes: Sizes = {
  nodes: flag('nodes', base.nodes),
  pods: flag('pods', base.pods),
  namespaces: flag('namespaces', base.namespaces),
  services: flag('services', base.services),
  policies: flag('policies', base.policies),
};
const concurrency = flag('concurrency', 32);
const runs = flag('runs', 2);
const kwokParallelism = flag('kwok-parallelism', 16);
const settleMs = flag('settle-minutes', 10) * 60_000;
const playPods = args.includes('--play-pods');
/** The per-list timeout of the extra run made when diagnose's own (15 s) cuts a list off. */
const LONG_TIMEOUT_MS = 10 * 60_000;

const log = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const mib = (b: number): string => `${(b / 2 ** 20).toFixed(1)} MiB`;

/** The running lab's kubeconfig, or exit 2 saying how to start one. */
function labKubeconfig(): string {
  let status: { state?: string; kubeconfig?: string; apiServerReady?: boolean } = {};
  try {
    const out = execFileSync(
      process.execPath,
      [join(ROOT, 'src/cli/main.ts'), 'lab', 'status', '-o', 'json'],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    status = JSON.parse(out) as typeof status;
  } catch {
    // no state file or no lab: reported below
  }
  if (status.state !== 'up' || !status.kubeconfig || !status.apiServerReady) {
    process.stderr.write(
      'kwok-scale needs the running lab (its API server is the one measured): node src/cli/main.ts lab up\n',
    );
    process.exit(2);
  }
  return status.kubeconfig;
}

/** Runs the collection child once and returns its figures. */
function collectOnce(kubeconfig: string, timeoutMs?: number): Promise<CollectFigures> {
  const extra = timeoutMs ? [String(timeoutMs)] : [];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bench/kwok/collect-child.ts'), kubeconfig, ...extra], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString('utf8');
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) resolve(JSON.parse(out) as CollectFigures);
      else reject(new Error(`collection child exited with ${code}`));
    });
  });
}

function report(f: CollectFigures, expected: Record<string, number>): boolean {
  // A run that returned in time because lists were cut off did not collect the cluster: FAIL.
  const met = f.wallMs <= GOAL_MS && f.gaps.length === 0;
  const why = f.gaps.length ? ` (${f.gaps.length} list(s) incomplete)` : '';
  log(
    `  wall time          ${s(f.wallMs)}   goal <= ${s(GOAL_MS)}, complete: ${met ? 'PASS' : `FAIL${why}`}`,
  );
  log(`  peak RSS           ${f.maxRssMiB.toFixed(0)} MiB (the collecting process)`);
  log(
    `  response bodies    ${mib(f.bodyBytes)} over ${f.httpRequests} HTTP requests (${f.compressedResponses} gzip-compressed)`,
  );
  log(`  port calls         ${Object.values(f.portCalls).reduce((a, b) => a + b, 0)}`);
  for (const [m, n] of Object.entries(f.portCalls).sort()) log(`    ${m.padEnd(26)} ${n}`);
  log('  list pages and bytes by path');
  for (const [p, t] of Object.entries(f.byPath).sort((a, b) => b[1].bytes - a[1].bytes))
    log(`    ${p.padEnd(58)} ${String(t.requests).padStart(5)} req  ${mib(t.bytes).padStart(11)}`);
  let ok = f.gaps.length === 0;
  for (const g of f.gaps) log(`  GAP ${g}`);
  for (const k of KINDS) {
    const got = f.counts[k];
    const want = expected[k] ?? 0;
    if (got !== want) ok = false;
    log(
      `  ${k.padEnd(18)} ${String(got).padStart(7)} collected, ${String(want).padStart(7)} in the API: ${got === want ? 'ok' : 'MISMATCH'}`,
    );
  }
  log(`  events             ${String(f.counts.events).padStart(7)} collected`);
  log(
    `  probe plan         ${f.plan.nodes} Ready nodes, ${f.plan.peers} peers per node per round, ${f.plan.rounds} rounds to cover every pair; ` +
      `${f.plan.probes} probes this round, ${f.plan.perNodeMin}-${f.plan.perNodeMax} per node; planned in ${f.plan.ms.toFixed(0)} ms`,
  );
  return ok;
}

/** Deletes everything a run made and waits (3 min at most) for it to go; 1 when that failed. */
async function cleanUp(): Promise<number> {
  log('cleanup:');
  try {
    await deleteAll(api, sizes, concurrency, log);
    const t = performance.now();
    let left = await leftovers(api);
    while (left.nodes + left.pods + left.namespaces > 0 && performance.now() - t < 180_000) {
      await new Promise((r) => setTimeout(r, 5_000));
      left = await leftovers(api);
    }
    log(`  left after ${s(performance.now() - t)}: ${JSON.stringify(left)}`);
    return 0;
  } catch (err) {
    log(`cleanup FAILED: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}

const kubeconfig = labKubeconfig();
const api: Api = await openApi(kubeconfig, concurrency);
const stop: Stop = { stopped: false };
let kwok: Kwok | undefined;
let exitCode = 0;
const interrupt = (): void => {
  if (stop.stopped) return;
  log('interrupted: stopping creation, then cleaning up (a second Ctrl-C is ignored until it is done)');
  stop.stopped = true;
  exitCode = 130;
};
process.on('SIGINT', interrupt);
process.on('SIGTERM', interrupt);

if (args.includes('--cleanup')) {
  // Only take away what an earlier run left (it was killed, or its cleanup gave up).
  const code = await cleanUp();
  api.close();
  process.exit(code);
}

log(
  `kwok-scale on ${api.server}: ${sizes.nodes} nodes, ${sizes.pods} pods in ${sizes.namespaces} namespaces, ` +
    `${sizes.services} Services + EndpointSlices, ${sizes.policies} NetworkPolicies (concurrency ${concurrency})`,
);
try {
  // A run killed before its cleanup leaves objects behind: take them away first.
  const left = await leftovers(api);
  if (left.nodes + left.pods + left.namespaces > 0) {
    log(`leftovers of an earlier run (${JSON.stringify(left)}): deleting`);
    await deleteAll(api, sizes, concurrency, log, { keepNamespaces: true });
  }
  const before = await countKinds(api);
  kwok = startKwok(kubeconfig, mkdtempSync(join(tmpdir(), 'netdoctor-kwok-')), {
    parallelism: kwokParallelism,
    playPods,
  });
  log(`kwok started (log: ${kwok.log})`);

  const t0 = performance.now();
  const times = await createAll(api, sizes, concurrency, stop, log);
  const created = performance.now() - t0;
  log(
    `created in ${s(created)}: ${Object.entries(times)
      .map(([k, ms]) => `${k} ${s(ms)}`)
      .join(', ')}`,
  );
  const settled = await waitRunning(api, sizes, stop, log, settleMs, playPods);
  log(
    settled.settled
      ? `kwok had every node Ready${playPods ? ' and every pod Running' : ' (pods left Pending: no --play-pods)'} ${s(settled.ms)} after the last create`
      : `kwok had not finished after ${s(settled.ms)} (${settled.line.trim()}); measuring anyway, the rest are Pending`,
  );

  const after = await countKinds(api);
  log(
    `in the API now: ${KINDS.map((k) => `${after[k]} ${k}`).join(', ')} (lab's own: ${KINDS.map((k) => before[k]).join('/')})`,
  );
  let ok = true;
  let cutOff = false;
  for (let r = 1; r <= runs && !stop.stopped; r++) {
    await waitQuiet(log);
    log(
      `collection run ${r}/${runs} (collectCluster with diagnose's defaults, as diagnose --node-access none):`,
    );
    const f = await collectOnce(kubeconfig);
    ok = report(f, after) && ok;
    cutOff ||= f.gaps.some((g) => g.includes('timeout'));
  }
  if (cutOff && !stop.stopped) {
    await waitQuiet(log);
    log(
      `collection with a ${s(LONG_TIMEOUT_MS)} per-list timeout (how long the cut-off lists need; not the goal):`,
    );
    report(await collectOnce(kubeconfig, LONG_TIMEOUT_MS), after);
  }
  log(`pagination: ${ok ? 'PASS, every object collected, no gaps' : 'FAIL (see above)'}`);
  if (!ok && exitCode === 0) exitCode = 1;
} catch (err) {
  if (stop.stopped) log('interrupted');
  else log(`FAILED: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  if (exitCode === 0) exitCode = 1;
} finally {
  // kwok first: with it gone nothing recreates a Lease or rewrites a pod while they are deleted.
  await kwok?.stop();
  exitCode = (await cleanUp()) || exitCode;
  api.close();
}
process.exit(exitCode);
