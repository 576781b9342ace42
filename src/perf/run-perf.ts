/**
 * Carries out a perf plan: iperf3 servers on the destination nodes (one in the pod network, one
 * in the node's own), then the plan's steps one at a time, each a client pod on the source node
 * running both directions of one protocol. Steps never overlap: two tests sharing a link or a
 * node's CPU would each measure half of it. Every pod carries the run's owned labels, is
 * registered with the process cleanup before it is created (Ctrl-C, SIGTERM) and deleted in
 * `finally`. A pod that cannot start, a server that never listens and a test that fails are
 * error rows; only planning errors stop the command.
 */
import { isIP } from 'node:net';
import { ownedSelector } from '../cluster/owned-labels.ts';
import type { ClusterPort } from '../cluster/port.ts';
import { registerCleanup } from '../core/cleanup.ts';
import { mapLimit } from '../core/concurrency.ts';
import { withTimeout } from '../core/timeout.ts';
import { clientBudgetSeconds, clientPlan, parseClientLog, serverListening } from './iperf-commands.ts';
import { outcomeOfRun } from './iperf-json.ts';
import { clientRunsFor, type PerfPlan, type PerfStep, type PlanNode } from './plan.ts';
import {
  createPod,
  deletePod,
  lastLine,
  type PodEnv,
  type PodWait,
  podWhy,
  readLog,
  waitForPod,
} from './pod-lifecycle.ts';
import {
  CLIENT_CONTAINER,
  perfClientPod,
  perfPodNames,
  perfServerPod,
  SERVER_CONTAINER,
  serverPort,
} from './pods.ts';
import { summarizePair } from './summarize.ts';
import type { NodeName, NodePair, PerfMode, PerfOutcome, PerfReport, PerfTestResult } from './types.ts';

/** What runPerf needs besides the plan. */
export interface PerfRunOptions {
  /** Image with sh, timeout and iperf3 (the agent image). */
  image: string;
  /** Namespace the pods are created in; it must exist. */
  namespace: string;
  /** Labels and names every pod (netdoctor.io/run). */
  runId: string;
  /** The overall deadline, ms from the start: steps that cannot finish before it are skipped. */
  timeoutMs: number;
  pollMs?: number;
  /** A line per step, for stderr. */
  onProgress?: (message: string) => void;
}

/** An iperf3 server a mode's clients dial on one node, or why there is none. */
type ServerState = { ok: true; pod: string; address: string; port: number } | { ok: false; error: string };

const CALL_MS = 15_000;
/** Longest wait for a pod to be scheduled and started, before the tests' own time. */
const START_MS = 90_000;

const serverKey = (node: NodeName, mode: PerfMode): string => `${node}/${mode}`;
const pairKey = (p: NodePair): string => `${p.from}\u0000${p.to}`;
const modeName = (mode: PerfMode): string => (mode === 'pod' ? 'pod network' : 'host network');

/** Runs `plan` against the cluster; always returns a report, with error rows for what failed. */
export async function runPerf(
  port: ClusterPort,
  plan: PerfPlan,
  nodes: readonly PlanNode[],
  opts: PerfRunOptions,
): Promise<PerfReport> {
  const t0 = Date.now();
  const deadline = t0 + opts.timeoutMs;
  const env: PodEnv = { port, namespace: opts.namespace, pollMs: opts.pollMs ?? 500, callMs: CALL_MS };
  const names = perfPodNames(opts.runId);
  const progress = opts.onProgress ?? (() => {});
  const known = new Set<string>();
  const inFlight = new Set<Promise<unknown>>();
  // Set once cleanup starts (Ctrl-C mid-run): a step still running must not create a pod the
  // cleanup has already looked for.
  let closing = false;

  const cleanup = async (): Promise<void> => {
    closing = true;
    // A create still on its way would land after the delete: wait for it first.
    await withTimeout(Promise.allSettled([...inFlight]), CALL_MS, 'pod creations').catch(() => {});
    const pods = new Set(known);
    try {
      const listed = await withTimeout(
        port.listPods(opts.namespace, ownedSelector(opts.runId)),
        CALL_MS,
        'list perf pods',
      );
      for (const p of listed) {
        const name = typeof p === 'object' && p !== null && 'metadata' in p ? nameOf(p.metadata) : undefined;
        if (name) pods.add(name);
      }
    } catch {
      // The names this run created are known anyway; the label list only catches strays.
    }
    await mapLimit([...pods], 8, (name) => deletePod(env, name));
  };
  const unregister = registerCleanup(`perf run ${opts.runId} in ${opts.namespace}`, cleanup);

  /** Creates a pod, known to cleanup before the request leaves. */
  const create = async (manifest: object, name: string): Promise<string | undefined> => {
    if (closing) return 'the run was interrupted';
    known.add(name);
    const p = createPod(env, manifest, name);
    inFlight.add(p);
    try {
      return await p;
    } finally {
      inFlight.delete(p);
    }
  };

  const results = new Map<string, PerfTestResult[]>();
  const remainingS = () => Math.max(1, Math.floor((deadline - Date.now()) / 1000));
  try {
    progress(`starting iperf3 servers on ${plan.serverNodes.join(', ')}`);
    const servers = await startServers(plan, nodes, opts, env, names, create, deadline, remainingS);
    for (const [index, step] of plan.steps.entries()) {
      const tests = await runStep(step, index, {
        servers,
        results,
        plan,
        opts,
        env,
        names,
        create,
        deadline,
        progress,
      });
      const key = pairKey(step.pair);
      results.set(key, [...(results.get(key) ?? []), ...tests]);
    }
  } finally {
    unregister();
    await cleanup();
  }

  const pairs = plan.pairs.map((pair) => {
    const tests = results.get(pairKey(pair)) ?? [];
    return { from: pair.from, to: pair.to, summary: summarizePair(pair, tests), tests };
  });
  return {
    kind: 'netdoctor-perf',
    schemaVersion: 1,
    startedAt: new Date(t0).toISOString(),
    durationMs: Date.now() - t0,
    testSeconds: plan.testSeconds,
    image: opts.image,
    namespace: opts.namespace,
    pairs,
    leftOut: plan.leftOut,
    skippedNodes: plan.skippedNodes,
    complete: pairs.every((p) => p.tests.length > 0 && p.tests.every((t) => t.outcome.status === 'ok')),
  };
}

function nameOf(meta: unknown): string | undefined {
  return typeof meta === 'object' && meta !== null && 'name' in meta && typeof meta.name === 'string'
    ? meta.name
    : undefined;
}

type Create = (manifest: object, name: string) => Promise<string | undefined>;
type Names = ReturnType<typeof perfPodNames>;

/** Both servers on every destination node, started together and awaited together. */
async function startServers(
  plan: PerfPlan,
  nodes: readonly PlanNode[],
  opts: PerfRunOptions,
  env: PodEnv,
  names: Names,
  create: Create,
  deadline: number,
  remainingS: () => number,
): Promise<Map<string, ServerState>> {
  const servers = new Map<string, ServerState>();
  const byName = new Map(nodes.map((n) => [n.name as string, n]));
  const jobs = plan.serverNodes.flatMap((node, i) =>
    (['pod', 'host'] as const).map((mode) => ({ node, i, mode })),
  );
  const startBy = Math.min(deadline, Date.now() + START_MS);
  await mapLimit(jobs, 8, async ({ node, i, mode }) => {
    const internalIp = byName.get(node)?.internalIp;
    if (mode === 'host' && !internalIp) {
      servers.set(serverKey(node, mode), { ok: false, error: `node ${node} has no InternalIP to dial` });
      return;
    }
    const name = names.server(mode, i);
    const manifest = perfServerPod({
      name,
      namespace: opts.namespace,
      runId: opts.runId,
      node,
      image: opts.image,
      mode,
      deadlineSeconds: remainingS() + 30,
      ...(internalIp ? { bindIp: internalIp } : {}),
    });
    const refused = await create(manifest, name);
    if (refused) {
      servers.set(serverKey(node, mode), { ok: false, error: refused });
      return;
    }
    const wait = await waitForPod(env, name, SERVER_CONTAINER, startBy, async (pod, log) => {
      const phase = pod.status.phase;
      if (phase === 'Succeeded' || phase === 'Failed')
        return { failed: `iperf3 server exited: ${lastLine(await log()) || podWhy(pod)}` };
      if (phase !== 'Running') return 'wait';
      if (mode === 'pod' && !pod.status.podIP) return 'wait';
      return serverListening(await log()) ? 'ready' : 'wait';
    });
    const address =
      mode === 'host' ? internalIp : wait.status === 'ready' ? wait.pod.status.podIP : undefined;
    servers.set(
      serverKey(node, mode),
      wait.status === 'failed'
        ? { ok: false, error: `iperf3 server pod ${name}: ${wait.error}` }
        : address && isIP(address)
          ? { ok: true, pod: name, address, port: serverPort(mode) }
          : { ok: false, error: `iperf3 server pod ${name} has no usable address (${address ?? 'none'})` },
    );
  });
  return servers;
}

interface StepEnv {
  servers: Map<string, ServerState>;
  results: Map<string, PerfTestResult[]>;
  plan: PerfPlan;
  opts: PerfRunOptions;
  env: PodEnv;
  names: Names;
  create: Create;
  deadline: number;
  progress: (m: string) => void;
}

/** One client pod: both directions of one protocol in one mode. */
async function runStep(step: PerfStep, index: number, s: StepEnv): Promise<PerfTestResult[]> {
  const { pair, mode, protocol } = step;
  const rows = (outcome: (test: PerfStep['tests'][number]) => PerfOutcome): PerfTestResult[] =>
    step.tests.map((t) => ({
      id: t.id,
      mode,
      protocol,
      direction: t.direction,
      sender: t.direction === 'forward' ? pair.from : pair.to,
      receiver: t.direction === 'forward' ? pair.to : pair.from,
      outcome: outcome(t),
    }));
  const server = s.servers.get(serverKey(pair.to, mode)) ?? { ok: false, error: 'no server was planned' };
  if (!server.ok)
    return rows(() => ({
      status: 'error',
      error: `no iperf3 server on ${pair.to} (${modeName(mode)}): ${server.error}`,
    }));

  const runs = clientRunsFor(step, server, s.plan.testSeconds, s.results.get(pairKey(pair)) ?? []);
  const budgetS = clientBudgetSeconds(runs);
  if (Date.now() + budgetS * 1000 > s.deadline)
    return rows(() => ({
      status: 'skipped',
      reason: `the overall deadline (--timeout) leaves too little time for this test (${budgetS} s needed)`,
    }));

  s.progress(`${pair.from} <-> ${pair.to}: ${modeName(mode)}, ${protocol.toUpperCase()}, both directions`);
  const name = s.names.client(index);
  const manifest = perfClientPod({
    name,
    namespace: s.opts.namespace,
    runId: s.opts.runId,
    node: pair.from,
    image: s.opts.image,
    mode,
    deadlineSeconds: budgetS + 30,
    plan: clientPlan(runs),
  });
  const refused = await s.create(manifest, name);
  if (refused) return rows(() => ({ status: 'error', error: `client on ${pair.from}: ${refused}` }));
  let wait: PodWait;
  try {
    wait = await waitForPod(
      s.env,
      name,
      CLIENT_CONTAINER,
      Math.min(s.deadline, Date.now() + START_MS + budgetS * 1000),
      async (pod) => (pod.status.phase === 'Succeeded' || pod.status.phase === 'Failed' ? 'ready' : 'wait'),
    );
    // A client that never finished may still have printed its first run.
    if (wait.status === 'failed' && wait.log === '')
      wait = { ...wait, log: await readLog(s.env, name, CLIENT_CONTAINER) };
  } finally {
    await deletePod(s.env, name);
  }
  const log = parseClientLog(wait.log);
  return rows((t): PerfOutcome => {
    const run = log.runs.get(t.id);
    if (!run)
      return {
        status: 'error',
        error:
          wait.status === 'failed'
            ? `client pod on ${pair.from}: ${wait.error}`
            : `the client on ${pair.from} printed no result for this test (${podWhy(wait.pod)})`,
      };
    return outcomeOfRun(run);
  });
}
