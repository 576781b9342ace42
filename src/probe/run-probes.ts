/**
 * The probe runner: probe servers on every node and a Service over them, VXLAN capture pods,
 * then probe clients that run the plan and print results to their logs. No exec: inputs go in
 * through the environment, results come out through pod logs. The pods are one set of the node
 * pod runner (cluster/node-pod.ts): labelled, registered with the process cleanup (SIGINT/SIGTERM)
 * before they are created, watched with one list per poll, and deleted in `finally`, like the
 * Service. A call that fails (forbidden, timeout) becomes a gap and skipped or errored probes,
 * never a crash.
 */
import { classifyApiError } from '../cluster/api-error.ts';
import type { NodePod } from '../cluster/node-pod.ts';
import { type NodePodReading, NodePodSet } from '../cluster/node-pod-set.ts';
import { failureText, isFinal, type NodePodState, podDetail } from '../cluster/node-pod-state.ts';
import { ownedSelector } from '../cluster/owned-labels.ts';
import { type StartFailure, stuckWithoutSandbox } from '../cluster/pod-start-failure.ts';
import type { ClusterPort } from '../cluster/port.ts';
import { registerCleanup } from '../core/cleanup.ts';
import type { ClusterState, K8sService } from '../core/cluster-types.ts';
import { mapLimit } from '../core/concurrency.ts';
import type { VxlanCapture } from '../core/datapath-types.ts';
import type { Gap } from '../core/model.ts';
import type {
  ProbeEndpoint,
  ProbeOutcome,
  ProbePodFailure,
  ProbeResult,
  ProbeResults,
} from '../core/probe-types.ts';
import { withTimeout } from '../core/timeout.ts';
import { parseCaptureLog, parseClientLog } from './parse.ts';
import { planInput, planProbes, SERVER_PORT } from './plan.ts';
import { capturePod, clientPod, objectNames, probeService, serverPod } from './pods.ts';
import { buildResult, type Resolved, type ResolveEnv, resolveProbe, type ServerState } from './resolve.ts';
import type { AppTarget, PlannedProbe, ProbePlan, TlsTarget } from './types.ts';

export interface ProbeOptions {
  /** Image with busybox, curl, dig and tcpdump (the lab: netdoctor.lab/toolbox:2-ndlab). */
  image: string;
  /** Namespace the probe pods and Service are created in; it must exist. */
  namespace: string;
  /** Labels every object (netdoctor.io/run) and names them. */
  runId: string;
  /** URL fetched from every node; absent: the external scenario is skipped (air-gapped). */
  externalTarget?: string;
  /** A name outside the cluster resolved through cluster DNS. */
  externalName?: string;
  /** Application pods fetched over HTTP from every node (`validate --target`); none by default. */
  appTargets?: AppTarget[];
  /** Services outside the cluster whose TLS handshake each node checks; none by default. */
  tlsTargets?: TlsTarget[];
  /** PEM CA bundle the TLS probes trust instead of the probe image's. */
  tlsCa?: string;
  /** Budget for the whole run (waiting for pods, the probes themselves); default 90 s. */
  timeoutMs?: number;
  /** Peers per node per round on clusters above 20 nodes; default 10. */
  maxPeers?: number;
  /** Which round of the bounded fan-out to run (see fan-out.ts); default 0. */
  round?: number;
  /** Nodes to place no probe pod on, each with the reason (see PlanOptions.avoidNodes). */
  avoidNodes?: readonly { node: string; reason: string }[];
  /** Called at each phase, for progress displays. */
  onPhase?: (phase: ProbePhase) => void;
}

export type ProbePhase = 'servers' | 'captures' | 'clients' | 'collect' | 'cleanup';

export interface ProbeRun {
  results: ProbeResults;
  /** Keyed by node name. */
  captures: Record<string, VxlanCapture>;
  gaps: Gap[];
  /** The plan that ran: rounds, peers per node. */
  plan?: Pick<ProbePlan, 'round' | 'rounds' | 'peers'>;
}

const POLL_MS = 500;
const CALL_MS = 15_000;
const PARALLEL = 8;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Why a pod that ended or went away gives no answer, for a gap or an error outcome. */
function endedWhy(r: NodePodReading | undefined, s: NodePodState | undefined): string {
  return s?.state === 'gone' ? 'the pod was deleted' : podDetail(r?.view);
}

/**
 * A start failure the bundle records as an observation about the node (probes' podFailures).
 * A pod the scheduler could not place says nothing about the node's network: a gap instead.
 */
function nodeObservation(f: StartFailure): f is StartFailure & { kind: ProbePodFailure['kind'] } {
  return f.kind !== 'placement';
}

function gapOf(collector: string, err: unknown, node?: string): Gap {
  const { reason, detail } = classifyApiError(err);
  return { collector, reason, detail, ...(node ? { node } : {}) };
}

export async function runProbes(
  port: ClusterPort,
  cluster: ClusterState,
  opts: ProbeOptions,
): Promise<ProbeRun> {
  const t0 = Date.now();
  const startedAt = new Date(t0).toISOString();
  const budget = opts.timeoutMs ?? 90_000;
  const deadline = t0 + budget;
  const ns = opts.namespace;
  const names = objectNames(opts.runId);
  const selector = ownedSelector(opts.runId);
  const phase = (p: ProbePhase) => opts.onPhase?.(p);
  const { input, gaps } = planInput(cluster, {
    probeService: { name: names.service, namespace: ns },
    ...(opts.externalTarget ? { externalTarget: opts.externalTarget } : {}),
    ...(opts.externalName ? { externalName: opts.externalName } : {}),
    ...(opts.appTargets ? { appTargets: opts.appTargets } : {}),
    ...(opts.tlsTargets ? { tlsTargets: opts.tlsTargets } : {}),
    ...(opts.maxPeers !== undefined ? { maxPeers: opts.maxPeers } : {}),
    ...(opts.round !== undefined ? { round: opts.round } : {}),
    ...(opts.avoidNodes ? { avoidNodes: opts.avoidNodes } : {}),
  });
  const plan = planProbes(input);
  const nodes = input.nodes;
  // Every pod registers its own deletion with the process cleanup; the Service is registered here.
  const pods = new NodePodSet({ port, namespace: ns, callMs: CALL_MS }, selector);
  let createdService = false;

  const removeServices = async (): Promise<void> => {
    const services = new Set(createdService ? [names.service] : []);
    try {
      const listed = (await withTimeout(
        port.listServices(ns, selector),
        CALL_MS,
        'list probe services',
      )) as K8sService[];
      for (const s of listed) services.add(s.metadata.name);
    } catch {}
    for (const s of services) {
      try {
        await withTimeout(port.deleteService(ns, s), CALL_MS, `delete service ${s}`);
      } catch (err) {
        gaps.push(gapOf('probe/cleanup', err));
      }
    }
  };
  const unregister = registerCleanup(`probe service of run ${opts.runId} in ${ns}`, removeServices);
  const cleanup = async (): Promise<void> => {
    for (const f of await pods.close()) gaps.push(gapOf('probe/cleanup', f.error));
    await removeServices();
  };

  const results: ProbeResult[] = [];
  const captures: Record<string, VxlanCapture> = {};
  const podFailures: ProbePodFailure[] = [];
  const noteFailure = (
    node: string,
    pod: string,
    role: ProbePodFailure['role'],
    f: StartFailure & { kind: ProbePodFailure['kind'] },
  ): void => {
    podFailures.push({ node, pod, role, kind: f.kind, reason: f.reason, message: f.message.slice(0, 500) });
  };
  const imageFailure = (): boolean => podFailures.some((f) => f.kind === 'image');
  const setupStarted = Date.now();
  try {
    // Servers, the Service and the captures do not depend on each other.
    phase('servers');
    const serverErr = new Map<string, ServerState>();
    const captureNodes = new Map<string, NodePod>();
    let service: ResolveEnv['service'] = {
      ok: false,
      outcome: { status: 'error', error: 'the probe Service was not created' },
    };
    const captureSeconds = Math.ceil(budget / 1000) + 5;
    const creations: (() => Promise<void>)[] = [];
    nodes.forEach((n, i) => {
      creations.push(async () => {
        const created = await pods.start(
          serverPod({
            name: names.server(i),
            runId: opts.runId,
            node: n.name,
            image: opts.image,
            port: SERVER_PORT,
          }),
        ).created;
        if (!created.ok) {
          const g = gapOf('probe/server', created.error, n.name);
          gaps.push(g);
          serverErr.set(n.name, {
            ok: false,
            outcome: {
              status: 'skipped',
              reason: `probe server on ${n.name} could not be created: ${g.reason}`,
            },
          });
        }
      });
      if (n.internalIp) {
        const ip = n.internalIp;
        creations.push(async () => {
          const pod = pods.start(
            capturePod({
              name: names.capture(i),
              runId: opts.runId,
              node: n.name,
              nodeIp: ip,
              image: opts.image,
              seconds: captureSeconds,
            }),
          );
          const created = await pod.created;
          if (created.ok) captureNodes.set(n.name, pod);
          else gaps.push(gapOf('probe/vxlan-capture', created.error, n.name));
        });
      }
    });
    creations.push(async () => {
      createdService = true;
      try {
        const s = (await withTimeout(
          port.createService(ns, probeService({ name: names.service, runId: opts.runId, port: SERVER_PORT })),
          CALL_MS,
          `create service ${names.service}`,
        )) as K8sService | undefined;
        const clusterIP = s?.spec.clusterIP;
        const nodePort = s?.spec.ports?.[0]?.nodePort;
        service = clusterIP
          ? { ok: true, name: names.service, namespace: ns, clusterIP, ...(nodePort ? { nodePort } : {}) }
          : { ok: false, outcome: { status: 'error', error: 'the probe Service has no ClusterIP' } };
      } catch (err) {
        const g = gapOf('probe/service', err);
        gaps.push(g);
        service = {
          ok: false,
          outcome: { status: 'skipped', reason: `probe Service could not be created: ${g.reason}` },
        };
      }
    });
    await mapLimit(creations, PARALLEL, (f) => f());

    // Wait for the servers to be Ready and the captures to be listening.
    const serverNames = new Map<string, string>(nodes.map((n, i) => [names.server(i), n.name]));
    const servers = new Map<string, ServerState>(serverErr);
    const captureStarted = new Set<string>();
    const captureDead = new Map<string, string>();
    const setupDeadline = Math.min(deadline - 20_000, Date.now() + 60_000);
    let readings: NodePodReading[] = [];
    const readingOf = (pod: string): NodePodReading | undefined => readings.find((r) => r.name === pod);
    for (;;) {
      readings = await pods.poll();
      for (const r of readings) {
        const node = serverNames.get(r.name);
        if (node === undefined || servers.has(node)) continue;
        const s = r.state;
        if (s.state === 'running' && s.ready && s.podIP) {
          servers.set(node, { ok: true, pod: r.name, ip: s.podIP });
        } else if (s.state === 'cannot-start' && nodeObservation(s.failure)) {
          noteFailure(node, r.name, 'server', s.failure);
          servers.set(node, {
            ok: false,
            outcome: {
              status: 'error',
              error: `probe server on ${node} cannot start: ${failureText(s.failure)}`,
            },
          });
        } else if (isFinal(s)) {
          const why = s.state === 'cannot-start' ? `cannot start: ${failureText(s.failure)}` : endedWhy(r, s);
          gaps.push({
            collector: 'probe/server',
            reason: 'error',
            node,
            detail: `probe server failed: ${why}`,
          });
          servers.set(node, {
            ok: false,
            outcome: { status: 'error', error: `probe server on ${node} failed (${why})` },
          });
        }
      }
      // An image no node can pull: every other probe pod would wait out its budget the same way.
      if (imageFailure()) break;
      const pendingCaptures = [...captureNodes].filter(([node, pod]) => {
        if (captureStarted.has(node) || captureDead.has(node)) return false;
        const r = readingOf(pod.name);
        const s = r?.state;
        if (s && isFinal(s) && s.state !== 'failed') {
          captureDead.set(
            node,
            s.state === 'cannot-start' ? `cannot start: ${failureText(s.failure)}` : endedWhy(r, s),
          );
          return false;
        }
        return s?.state === 'running' || s?.state === 'failed';
      });
      await mapLimit(pendingCaptures, PARALLEL, async ([node, pod]) => {
        try {
          const c = parseCaptureLog(await pod.log('capture', 20));
          if (c.started) captureStarted.add(node);
          else if (c.error || readingOf(pod.name)?.state.state === 'failed')
            captureDead.set(node, c.error ?? 'capture pod failed');
        } catch {}
      });
      const done =
        nodes.every((n) => servers.has(n.name)) &&
        [...captureNodes.keys()].every((n) => captureStarted.has(n) || captureDead.has(n));
      if (done || Date.now() > setupDeadline) break;
      await sleep(POLL_MS);
    }
    phase('captures');
    const lateEvents = nodes.some((n) => !servers.has(n.name)) ? await pods.events() : [];
    for (const n of nodes) {
      if (servers.has(n.name)) continue;
      const pod = readings.find((p) => serverNames.get(p.name) === n.name);
      const stuck = pod ? stuckWithoutSandbox(pod.view, lateEvents, Date.now() - setupStarted) : undefined;
      if (pod && stuck) {
        // Still no sandbox, and no image on its way: the node gives its pods no network.
        noteFailure(n.name, pod.name, 'server', { ...stuck, kind: 'network' });
        servers.set(n.name, {
          ok: false,
          outcome: {
            status: 'error',
            error: `probe server on ${n.name} cannot start: ${failureText(stuck)}`,
          },
        });
        continue;
      }
      const why = podDetail(pod?.view);
      gaps.push({
        collector: 'probe/server',
        reason: 'timeout',
        node: n.name,
        detail: `probe server not ready: ${why}`,
      });
      servers.set(n.name, {
        ok: false,
        outcome: { status: 'error', error: `probe server on ${n.name} not ready (${why})` },
      });
    }
    for (const [node, pod] of captureNodes) {
      if (captureStarted.has(node)) continue;
      const dead = captureDead.get(node);
      gaps.push({
        collector: 'probe/vxlan-capture',
        reason: dead ? 'error' : 'timeout',
        node,
        detail: `tcpdump did not start: ${dead ?? podDetail(readingOf(pod.name)?.view)}`,
      });
    }

    if (imageFailure()) {
      return {
        results: { startedAt, durationMs: Date.now() - t0, results, podFailures },
        captures,
        gaps,
      };
    }
    // Clients: one per node, running that node's probes.
    phase('clients');
    const env: ResolveEnv = { namespace: ns, serverPort: SERVER_PORT, servers, service };
    const perNode = new Map<string, { probe: PlannedProbe; resolved: Resolved; index: number }[]>();
    for (const p of plan.probes) {
      const l = perNode.get(p.from) ?? [];
      l.push({ probe: p, resolved: resolveProbe(p, env), index: l.length });
      perNode.set(p.from, l);
    }
    const clientNames = new Map<string, NodePod>();
    const clientErr = new Map<string, ProbeOutcome>();
    const remainingS = Math.max(10, Math.floor((deadline - Date.now()) / 1000));
    await mapLimit(nodes, PARALLEL, async (n, i) => {
      const entries = perNode.get(n.name) ?? [];
      const lines = entries.filter((e) => e.resolved.command).map((e) => `${e.index} ${e.resolved.command}`);
      if (lines.length === 0) return;
      const pod = pods.start(
        clientPod({
          name: names.client(i),
          runId: opts.runId,
          node: n.name,
          image: opts.image,
          plan: lines.join('\n'),
          deadlineSeconds: remainingS,
          ...(opts.tlsCa ? { tlsCa: opts.tlsCa } : {}),
        }),
      );
      const created = await pod.created;
      if (created.ok) {
        clientNames.set(n.name, pod);
      } else {
        const g = gapOf('probe/client', created.error, n.name);
        gaps.push(g);
        clientErr.set(n.name, {
          status: 'skipped',
          reason: `probe client on ${n.name} could not be created: ${g.reason}`,
        });
      }
    });
    const clientNodes = new Map([...clientNames].map(([node, pod]) => [pod.name as string, node]));
    const clientStuck = new Map<string, StartFailure>();
    for (;;) {
      readings = await pods.poll();
      const clients = readings.filter((r) => clientNodes.has(r.name));
      for (const r of clients) {
        if (r.state.state !== 'cannot-start' || clientStuck.has(r.name)) continue;
        clientStuck.set(r.name, r.state.failure);
        if (nodeObservation(r.state.failure))
          noteFailure(clientNodes.get(r.name) ?? '?', r.name, 'client', r.state.failure);
      }
      if (clients.every((r) => isFinal(r.state)) || Date.now() > deadline) break;
      await sleep(POLL_MS);
    }

    // Results from the client logs, then the captures' last counts.
    phase('collect');
    await mapLimit(nodes, PARALLEL, async (n) => {
      const entries = perNode.get(n.name) ?? [];
      const client = clientNames.get(n.name);
      const pod = client?.name;
      const podObj = pod ? readingOf(pod)?.view : undefined;
      const from: ProbeEndpoint = {
        node: n.name,
        ...(pod ? { pod } : {}),
        namespace: ns,
        ...(podObj?.status?.podIP ? { ip: podObj.status.podIP } : {}),
      };
      let log = '';
      let logErr = '';
      if (client) {
        try {
          log = await client.log('client', 100_000);
        } catch (err) {
          const g = gapOf('probe/client-log', err, n.name);
          gaps.push(g);
          logErr = `log not readable: ${g.reason}`;
        }
      }
      const parsed = parseClientLog(log, new Date(t0));
      for (const e of entries) {
        if (e.resolved.outcome) {
          results.push(buildResult(e.probe, from, e.resolved.to, e.resolved.outcome));
          continue;
        }
        const line = parsed.lines.get(e.index);
        const stuck = pod ? clientStuck.get(pod) : undefined;
        const outcome: ProbeOutcome = line
          ? line.outcome
          : stuck
            ? { status: 'error', error: `probe client on ${n.name} cannot start: ${failureText(stuck)}` }
            : (clientErr.get(n.name) ?? {
                status: 'error',
                error: `no result from the probe client (${logErr || podDetail(podObj)}${parsed.done ? '' : ', did not finish'})`,
              });
        results.push(
          buildResult(e.probe, from, withAddress(e.resolved.to, line?.address), outcome, {
            ...(line?.size !== undefined ? { size: line.size } : {}),
            ...(line?.ping ? { ping: line.ping } : {}),
            ...(line?.tls ? { tls: line.tls } : {}),
          }),
        );
      }
    });
    if (captureStarted.size > 0) await sleep(1200);
    await mapLimit(
      [...captureNodes].filter(([n]) => captureStarted.has(n)),
      PARALLEL,
      async ([node, pod]) => {
        try {
          const c = parseCaptureLog(await pod.log('capture', 5));
          if (c.capture) captures[node] = c.capture;
          else
            gaps.push({
              collector: 'probe/vxlan-capture',
              reason: 'parse-error',
              node,
              detail: c.error ?? 'no count line',
            });
        } catch (err) {
          gaps.push(gapOf('probe/vxlan-capture', err, node));
        }
      },
    );
  } finally {
    phase('cleanup');
    unregister();
    await cleanup();
  }
  results.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return {
    results: {
      startedAt,
      durationMs: Date.now() - t0,
      results,
      ...(podFailures.length > 0 ? { podFailures } : {}),
    },
    captures,
    gaps,
    plan: { round: plan.round, rounds: plan.rounds, peers: plan.peers },
  };
}

/** The target as the client reached it: a name it resolved itself gets the address it used. */
function withAddress(to: ProbeEndpoint, address: string | undefined): ProbeEndpoint {
  return address && !to.ip ? { ...to, ip: address } : to;
}
