/**
 * From a planned probe and the objects that now exist to what the client runs (one PLAN line)
 * and how the result names its target. Pure, so the mapping from plan to results is tested
 * without a cluster.
 */
import type { ProbeEndpoint, ProbeOutcome, ProbeResult } from '../core/probe-types.ts';
import { expectationFor } from './expectations.ts';
import type { PlannedProbe } from './types.ts';

/** A probe server pod, or why there is none. */
export type ServerState =
  | { ok: true; pod: string; ip: string }
  | { ok: false; outcome: Extract<ProbeOutcome, { status: 'skipped' | 'error' }> };

export type ServiceState =
  | { ok: true; name: string; namespace: string; clusterIP: string; nodePort?: number }
  | { ok: false; outcome: Extract<ProbeOutcome, { status: 'skipped' | 'error' }> };

export interface ResolveEnv {
  namespace: string;
  serverPort: number;
  servers: Map<string, ServerState>;
  service: ServiceState;
}

export interface Resolved {
  to: ProbeEndpoint;
  /** The PLAN line without its index; absent when the probe is not sent. */
  command?: string;
  /** The outcome when the probe is not sent. */
  outcome?: ProbeOutcome;
}

function url(ip: string, port: number, path: string): string {
  return `http://${ip}:${port}${path}`;
}

export function resolveProbe(p: PlannedProbe, env: ResolveEnv): Resolved {
  const t = p.target;
  let to: ProbeEndpoint;
  let ip = '';
  let port: number | undefined;
  if (t.kind === 'server') {
    const s = env.servers.get(t.node);
    to = { node: t.node, namespace: env.namespace };
    if (!s) return { to, outcome: { status: 'error', error: `no probe server planned on ${t.node}` } };
    if (!s.ok) return { to, outcome: s.outcome };
    to.pod = s.pod;
    to.ip = ip = s.ip;
    if (p.command.kind === 'http') to.port = port = env.serverPort;
  } else if (t.kind === 'service') {
    const s = env.service;
    if (!s.ok) return { to: { ...(p.name ? { name: p.name } : {}) }, outcome: s.outcome };
    to = { namespace: s.namespace, name: s.name, ip: s.clusterIP, port: 80 };
    ip = s.clusterIP;
    port = 80;
  } else if (t.kind === 'nodeport') {
    to = { node: t.node, ...(t.ip ? { ip: t.ip } : {}), ...(p.name ? { name: p.name } : {}) };
    const s = env.service;
    if (!s.ok) return { to, outcome: s.outcome };
    if (s.nodePort === undefined)
      return { to, outcome: { status: 'error', error: 'the probe Service was given no NodePort' } };
    to.port = port = s.nodePort;
    ip = t.ip;
  } else {
    to = {
      ...(t.node ? { node: t.node } : {}),
      ...(t.pod ? { pod: t.pod } : {}),
      ...(t.namespace ? { namespace: t.namespace } : {}),
      ...(t.ip ? { ip: t.ip } : {}),
      ...(p.name ? { name: p.name } : {}),
    };
    ip = t.ip;
    if (p.command.kind === 'dns') to.port = port = 53;
    else if (p.command.kind === 'http' || p.command.kind === 'tls') to.port = port = p.command.port;
  }
  if (p.skip) return { to, outcome: { status: 'skipped', reason: p.skip } };
  const c = p.command;
  switch (c.kind) {
    case 'icmp':
      return { to, command: `icmp ${ip}` };
    case 'mtu':
      return { to, command: `mtu ${ip} ${c.delta}` };
    case 'dns':
      return { to, command: `dns ${ip} ${c.name} ${c.proto}` };
    case 'http': {
      const u = (c.url ?? url(ip, port ?? c.port, c.path)).replaceAll(' ', '%20');
      return { to, command: `http ${u} ${c.tries}` };
    }
    case 'tls':
      return { to, command: `tls ${c.host} ${c.port}` };
  }
}

/** `<scenario>/<from-node>/<to>`, and for MTU probes `/<size>` (or `/<variant>` when unknown). */
export function probeId(p: PlannedProbe, size?: number): string {
  const base = `${p.scenario}/${p.from}/${p.to}`;
  if (p.scenario !== 'mtu') return base;
  return `${base}/${size ?? p.variant ?? '?'}`;
}

function targetNode(p: PlannedProbe): string | undefined {
  const t = p.target;
  return t.kind === 'server' || t.kind === 'nodeport' ? t.node : t.kind === 'fixed' ? t.node : undefined;
}

export function buildResult(
  p: PlannedProbe,
  from: ProbeEndpoint,
  to: ProbeEndpoint,
  outcome: ProbeOutcome,
  measured: Pick<ProbeResult, 'size' | 'ping' | 'tls'> = {},
): ProbeResult {
  const { size, ping, tls } = measured;
  const tn = targetNode(p);
  return {
    id: probeId(p, size),
    scenario: p.scenario,
    from,
    to,
    protocol: p.protocol,
    ...(size !== undefined ? { size } : {}),
    expect: expectationFor({
      scenario: p.scenario,
      ...(p.variant ? { variant: p.variant } : {}),
      ...(tn ? { sameNode: tn === p.from } : {}),
    }),
    outcome,
    ...(ping ? { ping } : {}),
    ...(tls ? { tls } : {}),
  };
}
