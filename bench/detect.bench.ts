/**
 * Time to detect and to recover, per catalog fault, with netdoctor running in the lab cluster as
 * people run it: the Helm chart (agents and `netdoctor serve`, netdoctor's image built from this
 * checkout). For each fault: `lab break`, then /api/report is read every second until a root
 * cause of the fault's expected category is served (detect); `lab heal`, then until it is gone
 * (recover). Goal: both within 60 s (aim 30 s). Also prints the controller's RSS and each
 * agent's RSS and CPU share over the run, read from /proc on the nodes. Everything is
 * uninstalled at the end, on Ctrl-C and on failure too.
 *
 *   node src/cli/main.ts lab up
 *   node bench/detect.bench.ts [--faults id,id] [--serve-interval 15s] [--agent-interval 5s]
 *                              [--timeout-s 180] [--skip-image]
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listFaults } from '../src/lab/fault-runner.ts';
import { NET } from '../src/lab/topology.ts';
import {
  buildAndLoadNetdoctorImage,
  cli,
  helm,
  installChartInLab,
  kubectl,
  type LabInfo,
  labOrSkipReason,
} from '../test/live/live-lab.ts';

const GOAL_S = 60;
const AIM_S = 30;
const NS = 'netdoctor-detect';
const RELEASE = 'nd-detect';
const FULL = `${RELEASE}-netdoctor`;
const AGENT_PORT = 9484;

const args = process.argv.slice(2);
const arg = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const timeoutS = Number(arg('timeout-s') ?? 180);
const status = labOrSkipReason();
if ('skip' in status) {
  console.error(`detect bench: ${status.skip}`);
  process.exit(2);
}
const lab: LabInfo = status.lab;
const wanted = arg('faults')?.split(',');
const faults = listFaults('catalog').filter((f) => wanted === undefined || wanted.includes(f.id));
const log = (line: string): void => void process.stdout.write(`${line}\n`);

let forward: ChildProcess | undefined;
let cleaned = false;
function cleanup(): void {
  if (cleaned) return;
  cleaned = true;
  forward?.kill();
  cli(['lab', 'heal'], 300_000);
  helm(lab, ['uninstall', RELEASE, '--namespace', NS, '--wait', '--timeout', '120s']);
  kubectl(lab, ['delete', 'namespace', NS, '--wait=true', '--timeout=120s', '--ignore-not-found']);
}
for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.once(sig, () => {
    cleanup();
    process.exit(130);
  });

async function portForward(): Promise<number> {
  forward = spawn(
    lab.kubectl,
    ['--kubeconfig', lab.kubeconfig, '-n', NS, 'port-forward', `svc/${FULL}`, ':8080'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let said = '';
  forward.stdout?.on('data', (d: Buffer) => (said += d.toString()));
  forward.stderr?.on('data', (d: Buffer) => (said += d.toString()));
  for (let i = 0; i < 150; i++) {
    const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(said);
    if (m) return Number(m[1]);
    await sleep(200);
  }
  throw new Error(`kubectl port-forward did not start: ${said}`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Served {
  verdict: string;
  rootCauses: { category: string; subject: { name: string } }[];
}

async function report(port: number): Promise<Served | undefined> {
  try {
    const r = await fetch(`http://127.0.0.1:${port}/api/report`, { signal: AbortSignal.timeout(5000) });
    return r.ok ? ((await r.json()) as Served) : undefined;
  } catch {
    return undefined;
  }
}

/** Seconds until `cond` holds on the served report, or undefined at the timeout. */
async function secondsUntil(port: number, cond: (r: Served) => boolean): Promise<number | undefined> {
  const t0 = performance.now();
  while ((performance.now() - t0) / 1000 < timeoutS) {
    const r = await report(port);
    if (r && cond(r)) return (performance.now() - t0) / 1000;
    await sleep(1000);
  }
  return undefined;
}

/**
 * RSS (MB) and CPU seconds of every `netdoctor agent` process, by pid. The lab's nodes share this
 * machine's kernel and /proc, so the agents are read here; the pattern is anchored at node's path
 * so no shell or pgrep whose command line names the same words is taken for an agent.
 */
function agentUsage(): { pid: number; rssMb: number; cpuS: number }[] {
  const r = spawnSync('pgrep', ['-f', '^/usr/local/bin/node /opt/netdoctor/dist/cli/main.js agent'], {
    encoding: 'utf8',
  });
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map(Number)
    .flatMap((pid) => {
      try {
        const status = readFileSync(`/proc/${pid}/status`, 'utf8');
        // Fields 14 and 15 of stat (utime, stime), counted after the command name's parenthesis.
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return [
          {
            pid,
            rssMb: Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024,
            cpuS: (Number(f[11]) + Number(f[12])) / 100,
          },
        ];
      } catch {
        return []; // gone since pgrep listed it
      }
    });
}

const fmt = (s: number | undefined): string => (s === undefined ? `>${timeoutS} s` : `${s.toFixed(1)} s`);
const grade = (s: number | undefined): string =>
  s === undefined || s > GOAL_S ? 'FAIL' : s <= AIM_S ? 'PASS' : 'PASS (over the 30 s aim)';

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'nd-detect-'));
  try {
    if (!args.includes('--skip-image')) {
      // The image carries the built CLI (dist/), from this checkout.
      const built = spawnSync('npm', ['run', '-s', 'build'], { encoding: 'utf8' });
      if (built.status !== 0) throw new Error(`npm run build: ${built.stderr}`);
      buildAndLoadNetdoctorImage(work);
    }
    installChartInLab(
      lab,
      RELEASE,
      NS,
      [
        `agent.port=${AGENT_PORT}`,
        `agent.interval=${arg('agent-interval') ?? '5s'}`,
        'agent.k=2',
        `serve.interval=${arg('serve-interval') ?? '15s'}`,
        'serve.agentStaleAfter=30s',
        // The lab's stand-in for the outside world: egress and upstream DNS are probed there.
        `serve.externalTarget=http://${NET.outsideWeb}/`,
        `serve.externalName=${NET.outsideWebName}`,
      ],
      ['--wait', '--timeout', '400s'],
    );
    const port = await portForward();
    const base = await secondsUntil(port, (r) => r.rootCauses.length === 0 && r.verdict !== 'inconclusive');
    const first = await report(port);
    log(
      `netdoctor in the lab: ${lab.nodes.length} nodes; baseline verdict ${first?.verdict} after ${fmt(base)}`,
    );
    const cpu0 = agentUsage();
    const t0 = performance.now();
    log('| fault | expected root cause | detect | | recover | |');
    log('|---|---|---|---|---|---|');
    let failed = 0;
    for (const f of faults) {
      const broke = cli(['lab', 'break', f.id], 300_000);
      if (broke.code !== 0) throw new Error(`lab break ${f.id}: ${broke.stderr}`);
      const has = (r: Served) => r.rootCauses.some((rc) => rc.category === f.expectedRootCause);
      const detect = await secondsUntil(port, has);
      const healed = cli(['lab', 'heal'], 300_000);
      if (healed.code !== 0) throw new Error(`lab heal: ${healed.stderr}`);
      const recover = await secondsUntil(port, (r) => !has(r));
      if (grade(detect) === 'FAIL' || grade(recover) === 'FAIL') failed++;
      log(
        `| ${f.id} | ${f.expectedRootCause} | ${fmt(detect)} | ${grade(detect)} | ${fmt(recover)} | ${grade(recover)} |`,
      );
    }
    const wallS = (performance.now() - t0) / 1000;
    const cpu1 = agentUsage();
    for (const u of cpu1) {
      const before = cpu0.find((x) => x.pid === u.pid)?.cpuS ?? 0;
      log(
        `agent pid ${u.pid}: RSS ${u.rssMb.toFixed(0)} MB, CPU ${(((u.cpuS - before) / wallS) * 100).toFixed(1)}% of a core over ${wallS.toFixed(0)} s`,
      );
    }
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const rss = Number(/^process_resident_memory_bytes (\S+)$/m.exec(metrics)?.[1] ?? Number.NaN);
    log(`controller RSS: ${(rss / 2 ** 20).toFixed(0)} MB`);
    log(
      `${failed === 0 ? 'PASS' : 'FAIL'}: ${faults.length - failed} of ${faults.length} faults detected and recovered within ${GOAL_S} s`,
    );
    process.exitCode = failed === 0 ? 0 : 1;
  } finally {
    cleanup();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
