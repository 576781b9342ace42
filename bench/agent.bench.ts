/**
 * `npm run bench:agent`: one `netdoctor agent`'s footprint against its budget (at most 100 MB
 * RSS, at most 2% of a core on average at the default 30 s interval), on real Linux networking.
 * Two network namespaces stand for two nodes joined by a veth pair. Node A carries kube-proxy's
 * iptables rules for `--services` Services (the node file the agent parses every round) plus
 * kube-dns and the API server, whose endpoints are in node B (dnsmasq, and a TLS listener); an
 * agent serves there as A's peer. A's agent is the built CLI started with exactly the Node.js flags
 * of the DaemonSet's container, runs `--rounds` rounds at `--interval`, and is sampled from /proc
 * every 200 ms: its peak RSS (VmHWM) and its CPU time at each round's end, with the commands it
 * ran (the node script's, ping, dig). The CPU share at the
 * default interval is the steady per-round CPU (rounds after the first) over 30 s: start-up is a
 * one-time cost a long-running agent does not repeat.
 *
 *   node bench/agent.bench.ts [--services N] [--rounds N] [--interval-ms N] [--json]
 *        [--node-flags '--lite-mode ...']   # added to the DaemonSet's flags, to compare settings
 *
 * Needs root (namespaces); builds `dist/` first.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AGENT_COMMAND } from '../src/agent/agent-manifests.ts';
import { startClusterServiceServers } from '../test/support/cluster-service-servers.ts';
import { defaultServices } from '../test/support/datapath-builder.ts';
import { iptablesSave, services } from '../test/support/kube-proxy-iptables.ts';
import {
  canUseNetns,
  createNetns,
  destroyNetns,
  joinNetns,
  nsExec,
  uniqueNetnsName,
} from '../test/support/netns.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const MAIN = join(ROOT, 'dist/cli/main.js');
const [ADDR_A, ADDR_B] = ['10.231.77.1', '10.231.77.2'];
const PORT = 9464;
/** The API server's port in defaultServices. */
const API_PORT = 6443;
const BUDGET_RSS_MB = 100;
const BUDGET_CPU_PCT = 2;
const DEFAULT_INTERVAL_S = 30;

interface Options {
  services: number;
  rounds: number;
  intervalMs: number;
  json: boolean;
  /** Node.js flags added to the DaemonSet's, to weigh another setting against them. */
  nodeFlags: string[];
}

interface Result {
  services: number;
  iptablesLines: number;
  rounds: number;
  intervalMs: number;
  peakRssMb: number;
  startupCpuS: number;
  cpuPerRoundMs: number;
  cpuPctAtDefaultInterval: number;
  cpuPctMeasured: number;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { services: 300, rounds: 15, intervalMs: 2000, json: false, nodeFlags: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') {
      o.json = true;
      continue;
    }
    if (a === '--node-flags' && i + 1 < argv.length) {
      o.nodeFlags = argv[++i]!.split(/\s+/).filter(Boolean);
      continue;
    }
    const v = Number(argv[++i]);
    const ok = Number.isInteger(v) && v > 0;
    if (a === '--services' && ok) o.services = v;
    else if (a === '--rounds' && ok && v >= 3) o.rounds = v;
    else if (a === '--interval-ms' && ok && v >= 1000) o.intervalMs = v;
    else
      throw new Error(
        "usage: node bench/agent.bench.ts [--services N] [--rounds N>=3] [--interval-ms N>=1000] [--node-flags '...'] [--json]",
      );
  }
  return o;
}

/** Peak RSS (MB) and user+system CPU seconds of a live process. */
function usage(pid: number): { peakMb: number; cpuS: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const peakMb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime + stime, and cutime + cstime: the commands it ran and waited for (the node script's
  // ip, iptables-save and nft, ping, dig) are the agent's cost too, as the container's CPU shows.
  return { peakMb, cpuS: (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / 100 };
}

/** The DaemonSet container's command, with this machine's node and the built CLI. */
function agentCommand(ns: string, extra: readonly string[], args: string[]): string[] {
  const [, ...flags] = AGENT_COMMAND.slice(0, -1);
  return ['ip', 'netns', 'exec', ns, process.execPath, ...flags, ...extra, MAIN, 'agent', ...args];
}

function start(argv: string[]): ChildProcess {
  const [file, ...args] = argv;
  return spawn(file!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
}

async function measure(o: Options, a: string, b: string): Promise<Result> {
  // The Services of a real node too: cluster DNS and the API server, served in B, which the
  // agent probes every round.
  const rules = iptablesSave([...defaultServices(ADDR_B, [ADDR_B]), ...services(o.services)]);
  nsExec(a, ['iptables-nft-restore'], rules);
  const servers = startClusterServiceServers(b, ADDR_B, API_PORT);
  const peer = start(
    agentCommand(b, o.nodeFlags, ['--node', 'node-b', '--listen', `${ADDR_B}:${PORT}`, '--interval', '30s']),
  );
  const agent = start(
    agentCommand(a, o.nodeFlags, [
      '--node',
      'node-a',
      '--listen',
      `${ADDR_A}:${PORT}`,
      '--peer',
      `node-b=${ADDR_B}`,
      '--interval',
      `${o.intervalMs}ms`,
      '--rounds',
      String(o.rounds),
    ]),
  );
  let peakMb = 0;
  const roundCpu: number[] = [];
  let stderr = '';
  agent.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const sample = (): number => {
    try {
      const u = usage(agent.pid!);
      peakMb = Math.max(peakMb, u.peakMb);
      return u.cpuS;
    } catch {
      return Number.NaN; // exited between the check and the read
    }
  };
  agent.stdout?.on('data', (d: Buffer) => {
    for (const line of d.toString().split('\n')) if (/^round \d+:/.test(line)) roundCpu.push(sample());
  });
  const timer = setInterval(sample, 200);
  const code = await new Promise<number | null>((done) => agent.on('exit', (c) => done(c)));
  clearInterval(timer);
  peer.kill('SIGTERM');
  servers.stop();
  if (roundCpu.length < o.rounds)
    throw new Error(
      `the agent ran ${roundCpu.length} of ${o.rounds} rounds (exit ${code}): ${stderr.trim()}`,
    );
  const first = roundCpu[0]!;
  const last = roundCpu[roundCpu.length - 1]!;
  const perRoundS = (last - first) / (roundCpu.length - 1);
  return {
    services: o.services,
    iptablesLines: rules.split('\n').length,
    rounds: o.rounds,
    intervalMs: o.intervalMs,
    peakRssMb: Math.round(peakMb * 10) / 10,
    startupCpuS: first,
    cpuPerRoundMs: Math.round(perRoundS * 1000),
    cpuPctAtDefaultInterval: Math.round((perRoundS / DEFAULT_INTERVAL_S) * 10000) / 100,
    cpuPctMeasured: Math.round((perRoundS / (o.intervalMs / 1000)) * 10000) / 100,
  };
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  if (!canUseNetns()) throw new Error('needs root and network namespaces');
  const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('npm run build failed');
  const a = createNetns(uniqueNetnsName('bench-agent-a'));
  const b = createNetns(uniqueNetnsName('bench-agent-b'));
  let r: Result;
  try {
    joinNetns(a, b, ADDR_A, ADDR_B);
    r = await measure(o, a, b);
  } finally {
    destroyNetns(a);
    destroyNetns(b);
  }
  if (o.json) {
    process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
    return;
  }
  const verdict = (ok: boolean): string => (ok ? 'PASS' : 'FAIL');
  process.stdout.write(
    [
      `agent: ${r.rounds} rounds at ${r.intervalMs} ms, node file ${r.iptablesLines} iptables lines (${r.services} Services), one peer${o.nodeFlags.length ? `, with ${o.nodeFlags.join(' ')}` : ''}`,
      `  peak RSS              ${r.peakRssMb} MB  (budget ${BUDGET_RSS_MB} MB, ${(r.peakRssMb / BUDGET_RSS_MB).toFixed(2)}x)  ${verdict(r.peakRssMb <= BUDGET_RSS_MB)}`,
      `  start-up CPU          ${r.startupCpuS.toFixed(2)} s (once)`,
      `  CPU per round         ${r.cpuPerRoundMs} ms`,
      `  CPU at ${DEFAULT_INTERVAL_S} s interval   ${r.cpuPctAtDefaultInterval}% of a core  (budget ${BUDGET_CPU_PCT}%, ${(r.cpuPctAtDefaultInterval / BUDGET_CPU_PCT).toFixed(2)}x)  ${verdict(r.cpuPctAtDefaultInterval <= BUDGET_CPU_PCT)}`,
      `  CPU at ${r.intervalMs / 1000} s interval    ${r.cpuPctMeasured}% of a core (as measured)`,
      '',
    ].join('\n'),
  );
}

await main();
