import { hostname } from 'node:os';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { AgentMetrics } from '../../agent/agent-metrics.ts';
import { startAgentServer } from '../../agent/agent-server.ts';
import type { AgentSummary } from '../../agent/agent-summary.ts';
import { DEFAULT_TOKEN_FILE } from '../../agent/agent-token.ts';
import type { AgentPeer } from '../../agent/peers.ts';
import { peersFromDns } from '../../agent/peers-dns.ts';
import { peersFromFile } from '../../agent/peers-file.ts';
import { runAgent } from '../../agent/run-agent.ts';
import { sendSummary } from '../../agent/summary-sender.ts';
import { registerCleanup } from '../../core/cleanup.ts';
import { count, duration } from '../option-parsers.ts';

interface AgentFlags {
  node?: string;
  peer: AgentPeer[];
  peersFile?: string;
  peersDns?: string;
  listen: { host: string; port: number };
  k: number;
  interval: number;
  probeTimeout: number;
  hostRoot: string;
  rounds?: number;
  output: 'text' | 'json';
  reportTo?: string;
  tokenFile: string;
  clusterDomain: string;
}

/** `name=ipv4`: a peer agent. */
function parsePeer(v: string, acc: AgentPeer[]): AgentPeer[] {
  const m = /^([^=\s]+)=(\d{1,3}(?:\.\d{1,3}){3})$/.exec(v.trim());
  if (!m || m[2]!.split('.').some((o) => Number(o) > 255))
    throw new InvalidArgumentError('expected NODE=IPV4, such as worker-2=10.244.2.7.');
  return [...acc, { node: m[1]!, ip: m[2]! }];
}

/** `host:port` (IPv4 or a name, port 0 to 65535). */
function parseListen(v: string): { host: string; port: number } {
  const m = /^([^:\s]+):(\d{1,5})$/.exec(v.trim());
  if (!m || Number(m[2]) > 65535) throw new InvalidArgumentError('expected HOST:PORT, such as 0.0.0.0:9464.');
  return { host: m[1]!, port: Number(m[2]) };
}

function summaryLine(s: AgentSummary): string {
  const lost = s.probes.filter((p) => p.status === 'lost').map((p) => `${p.peer}/${p.kind}`);
  const errors = s.probes.filter((p) => p.status === 'error').length;
  const services = s.services ?? [];
  const failing = services
    .filter((p) => p.status !== 'ok')
    .map((p) => `${p.service} ${p.target}/${p.kind} ${p.status}`);
  return (
    `round ${s.round}: ${s.findings.filter((f) => f.severity !== 'info').length} finding(s), ` +
    `${s.probes.length} probe(s)${lost.length ? `, lost: ${lost.join(' ')}` : ''}${errors ? `, ${errors} could not run` : ''}` +
    `, ${services.length} service probe(s)${failing.length ? ` (${failing.join(', ')})` : ''}` +
    `${s.notCollected.length ? `; not collected: ${s.notCollected.join(', ')}` : ''}`
  );
}

/** The peers: the --peer flags, plus the file's lines and the DNS name's agents when given. */
function peerSource(flags: AgentFlags): () => Promise<AgentPeer[]> {
  const warn = (m: string) => process.stderr.write(`netdoctor agent: ${m}\n`);
  const sources: (() => Promise<AgentPeer[]>)[] = [async () => flags.peer];
  if (flags.peersFile) sources.push(peersFromFile(flags.peersFile, warn));
  if (flags.peersDns)
    sources.push(
      peersFromDns({ name: flags.peersDns, port: flags.listen.port, timeoutMs: flags.probeTimeout, warn }),
    );
  return async () => (await Promise.all(sources.map((s) => s()))).flat();
}

/** A DNS domain such as cluster.local. */
function parseDomain(v: string): string {
  const d = v.trim().replace(/\.$/, '');
  if (
    !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/i.test(d) ||
    d.length > 253
  )
    throw new InvalidArgumentError('expected a DNS domain, such as cluster.local.');
  return d;
}

/** An http(s) URL. */
function parseUrl(v: string): string {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new InvalidArgumentError(
      'expected a URL, such as http://netdoctor.netdoctor.svc:8081/api/agent-summary.',
    );
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new InvalidArgumentError('expected an http or https URL.');
  return u.toString();
}

/** `netdoctor agent`: the per-node agent of the in-cluster DaemonSet. */
export function registerAgent(program: Command): void {
  program
    .command('agent')
    .description(
      "per-node agent: reads this node's datapath and runs the node rules every interval, probes k peer agents (ICMP and TCP), cluster DNS (UDP and TCP) and the API server, each by ClusterIP and endpoint, and serves /metrics, /healthz and /api/summary",
    )
    .option('--node <name>', 'this node (default: $NODE_NAME, else the host name)')
    .option('--peer <node=ip>', 'a peer agent (repeatable)', parsePeer, [] as AgentPeer[])
    .option('--peers-file <path>', 'peer agents as NODE=IP lines, re-read every round (a mounted ConfigMap)')
    .option(
      '--peers-dns <name>',
      "peer agents from a DNS name's addresses (a headless Service over the agents), resolved every round",
    )
    .addOption(
      new Option('--listen <host:port>', 'where to serve metrics and answer TCP probes')
        .argParser(parseListen)
        .default({ host: '0.0.0.0', port: 9464 }, '0.0.0.0:9464'),
    )
    .addOption(
      new Option('--k <count>', 'peers probed per round; every pair is covered within ceil((n-1)/k) rounds')
        .argParser(count({ min: 1, max: 1000 }))
        .default(3),
    )
    .addOption(
      new Option('--interval <duration>', 'time between rounds')
        .argParser(duration({ min: 1000, max: 3_600_000 }))
        .default(30_000, '30s'),
    )
    .addOption(
      new Option('--probe-timeout <duration>', 'how long one probe waits for an answer')
        .argParser(duration({ min: 100, max: 60_000 }))
        .default(2000, '2s'),
    )
    .option(
      '--cluster-domain <domain>',
      'the cluster DNS domain; cluster DNS is asked for kubernetes.default.svc.<domain>',
      parseDomain,
      'cluster.local',
    )
    .option('--host-root <dir>', "where the node's filesystem is mounted (/host in the DaemonSet)", '')
    .addOption(
      new Option('--rounds <count>', 'stop after this many rounds (default: run until stopped)').argParser(
        count({ min: 1, max: 1_000_000 }),
      ),
    )
    .addOption(
      new Option(
        '--report-to <url>',
        "send each round's summary to the controller (netdoctor serve's /api/agent-summary)",
      ).argParser(parseUrl),
    )
    .option(
      '--token-file <path>',
      'the ServiceAccount token sent with each summary, re-read every round',
      DEFAULT_TOKEN_FILE,
    )
    .addOption(
      new Option('-o, --output <format>', 'each round on stdout').choices(['text', 'json']).default('text'),
    )
    .action(async (flags: AgentFlags) => {
      const node = flags.node ?? process.env['NODE_NAME'] ?? hostname();
      const metrics = new AgentMetrics(node);
      let latest: AgentSummary | undefined;
      const server = await startAgentServer(
        flags.listen.host,
        flags.listen.port,
        node,
        metrics,
        () => latest,
      );
      const stop = new AbortController();
      const unregister = registerCleanup('agent server', async () => {
        stop.abort();
        await server.close();
      });
      process.stderr.write(`netdoctor agent on ${node}: serving on ${flags.listen.host}:${server.port}\n`);
      try {
        await runAgent(
          {
            node,
            agents: peerSource(flags),
            k: flags.k,
            intervalMs: flags.interval,
            port: server.port,
            probeTimeoutMs: flags.probeTimeout,
            clusterDomain: flags.clusterDomain,
            shell: ['sh', '-s'],
            hostRoot: flags.hostRoot,
            nodeTimeoutMs: 60_000,
            ...(flags.rounds === undefined ? {} : { rounds: flags.rounds }),
            signal: stop.signal,
            onRound: async (s) => {
              latest = s;
              process.stdout.write(
                flags.output === 'json' ? `${JSON.stringify(s)}\n` : `${summaryLine(s)}\n`,
              );
              if (flags.reportTo === undefined) return;
              const sent = await sendSummary(
                { url: flags.reportTo, tokenFile: flags.tokenFile, timeoutMs: 10_000 },
                s,
              );
              metrics.summarySent(sent.outcome);
              if (sent.outcome !== 'accepted')
                process.stderr.write(`netdoctor agent: summary ${sent.outcome}: ${sent.detail}\n`);
            },
          },
          metrics,
        );
      } finally {
        unregister();
        await server.close();
      }
    });
}
