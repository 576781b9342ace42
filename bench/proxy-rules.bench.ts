/**
 * `npm run bench:proxy`: kube-proxy's Service rules at scale, in both modes. Generates (or
 * reuses) a 30,000-Service `nft -j list ruleset` in kube-proxy's nftables shape and a
 * 1,000,000-line iptables-save in its iptables shape, then, each in its own child process (so
 * each peak RSS is that mode's own), reads and parses the node file, builds the node's Service
 * NAT view and runs proxy-rules-missing and proxy-stale-ruleset over a snapshot holding the
 * same Services with ready endpoints. Inputs are cached under $NETDOCTOR_BENCH_DIR (default
 * /tmp/netdoctor-bench).
 *
 *   node bench/proxy-rules.bench.ts [--nft-services N] [--iptables-lines N] [--json]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runRule } from '../src/analyze/engine.ts';
import { proxyRulesMissing } from '../src/analyze/rules/proxy-rules-missing.ts';
import { proxyStaleRuleset } from '../src/analyze/rules/proxy-stale-ruleset.ts';
import type { NodeDatapath } from '../src/core/datapath-types.ts';
import type { Snapshot } from '../src/core/model.ts';
import { nodeServiceNat } from '../src/datapath/node-service-nat.ts';
import { parseIptablesSave } from '../src/datapath/parsers/iptables-save.ts';
import { parseNftRuleset } from '../src/datapath/parsers/nft-ruleset.ts';
import type { ServiceSpec } from '../test/support/datapath-builder.ts';
import { ENDPOINTS_PER_SERVICE, iptablesSave, services } from '../test/support/kube-proxy-iptables.ts';
import { kubeProxyNftJson } from '../test/support/kube-proxy-nft-builder.ts';
import { SnapshotBuilder } from '../test/support/snapshot-builder.ts';

const NODE = 'worker-1';
/** iptables-save lines one Service adds: KUBE-SERVICES jump, 3 chain declarations, 3 KUBE-SVC rules, 2 per KUBE-SEP. */
const IPT_LINES_PER_SERVICE =
  1 + 1 + ENDPOINTS_PER_SERVICE + 1 + ENDPOINTS_PER_SERVICE + 2 * ENDPOINTS_PER_SERVICE;

type Mode = 'nftables' | 'iptables';

interface Phase {
  mode: Mode;
  inputMB: number;
  services: number;
  readMs: number;
  parseMs: number;
  viewMs: number;
  ruleMs: number;
  /** Building the snapshot's 30,000 Services and slices: cluster state, not the node's rules; left out of wallMs. */
  snapshotMs: number;
  wallMs: number;
  peakRssBytes: number;
  /** User + system CPU of the child: the machine may be shared, this is load-independent. */
  cpuMs: number;
  entries: number;
  findings: number;
}

/** Services whose iptables-save reaches `lines` lines. */
function iptablesServiceCount(lines: number): number {
  return Math.ceil((lines - 20) / IPT_LINES_PER_SERVICE);
}

function benchDir(): string {
  const dir = process.env['NETDOCTOR_BENCH_DIR'] ?? join(tmpdir(), 'netdoctor-bench');
  mkdirSync(dir, { recursive: true });
  return dir;
}

function inputFile(mode: Mode, n: number): string {
  return join(benchDir(), mode === 'nftables' ? `kube-proxy-nft-${n}.json` : `kube-proxy-iptables-${n}.txt`);
}

/** Writes the input once; later runs reuse it. */
function ensureInput(mode: Mode, n: number, log: (s: string) => void): string {
  const file = inputFile(mode, n);
  if (existsSync(file)) return file;
  log(`generating ${file} ...`);
  const text =
    mode === 'nftables'
      ? JSON.stringify(
          kubeProxyNftJson(services(n), { clusterCIDR: '10.244.0.0/14', serviceCIDR: '10.96.0.0/12' }),
        )
      : iptablesSave(services(n));
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
  return file;
}

/** A flannel snapshot that also holds the n Services with their ready EndpointSlices. */
function snapshotWith(svcs: ServiceSpec[], mode: Mode): Snapshot {
  const s = SnapshotBuilder.flannel({ workers: 1 }).build();
  s.cluster.configMaps.push({
    metadata: { name: 'kube-proxy', namespace: 'kube-system' },
    data: { 'config.conf': `kind: KubeProxyConfiguration\nmode: "${mode}"\n` },
  });
  // Only the generated Services: the builder's own (kube-dns, ...) are not in the generated rules.
  s.cluster.services = [];
  s.cluster.endpointSlices = [];
  for (const svc of svcs) {
    s.cluster.services.push({
      metadata: { name: svc.name, namespace: svc.namespace },
      spec: {
        type: 'ClusterIP',
        clusterIP: svc.clusterIP,
        clusterIPs: [svc.clusterIP],
        ports: svc.ports.map((p) => ({
          name: p.name ?? '',
          port: p.port,
          protocol: p.protocol,
          targetPort: p.targetPort ?? p.port,
        })),
      },
    });
    s.cluster.endpointSlices.push({
      metadata: {
        name: `${svc.name}-abcde`,
        namespace: svc.namespace,
        labels: { 'kubernetes.io/service-name': svc.name },
      },
      addressType: 'IPv4',
      endpoints: svc.endpoints.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    });
  }
  return s;
}

function measure(mode: Mode, n: number): Phase {
  const t0 = performance.now();
  const file = inputFile(mode, n);
  const text = readFileSync(file, 'utf8');
  const t1 = performance.now();
  const dp: NodeDatapath = { name: NODE };
  // The other mode's file is collected too, empty, as on a node that never ran that mode.
  if (mode === 'nftables') {
    dp.nftRuleset = parseNftRuleset(text);
    dp.iptablesNft = { backend: 'nf_tables', tables: {} };
  } else {
    dp.iptablesNft = parseIptablesSave(text);
    dp.nftRuleset = { tables: [], chains: [], rules: [], sets: [], maps: [] };
  }
  dp.iptablesLegacy = { backend: 'unknown', tables: {} };
  const t2 = performance.now();
  const { view } = nodeServiceNat(dp, mode);
  const t3 = performance.now();
  const snapshot = snapshotWith(services(n), mode);
  snapshot.nodes = { [NODE]: dp };
  const t4 = performance.now();
  let findings = 0;
  for (const rule of [proxyRulesMissing, proxyStaleRuleset]) {
    const r = runRule(rule, snapshot);
    if (r.outcome.status === 'error' || r.outcome.status === 'skipped')
      throw new Error(`${rule.id}: ${JSON.stringify(r.outcome)}`);
    findings += r.findings.length;
  }
  const t5 = performance.now();
  return {
    mode,
    inputMB: Math.round(Buffer.byteLength(text) / 1024 ** 2),
    services: n,
    readMs: t1 - t0,
    parseMs: t2 - t1,
    viewMs: t3 - t2,
    ruleMs: t5 - t4,
    snapshotMs: t4 - t3,
    wallMs: t5 - t0 - (t4 - t3),
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    cpuMs: (process.cpuUsage().user + process.cpuUsage().system) / 1000,
    entries: view?.entries.size ?? 0,
    findings,
  };
}

function child(mode: Mode, n: number): Phase {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', mode, String(n)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 1 << 20,
  });
  if (r.status !== 0) throw new Error(`${mode} child failed (exit ${r.status ?? r.signal})`);
  return JSON.parse(r.stdout) as Phase;
}

function parseArgs(argv: string[]): { nftServices: number; iptablesLines: number; json: boolean } {
  const o = { nftServices: 30_000, iptablesLines: 1_000_000, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') o.json = true;
    else if (a === '--nft-services' || a === '--iptables-lines') {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v <= 0) throw new Error(`${a} needs a positive integer`);
      if (a === '--nft-services') o.nftServices = v;
      else o.iptablesLines = v;
    } else
      throw new Error(
        'usage: node bench/proxy-rules.bench.ts [--nft-services N] [--iptables-lines N] [--json]',
      );
  }
  return o;
}

const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const mb = (b: number): number => Math.round(b / 1024 ** 2);

function main(): void {
  const argv = process.argv.slice(2);
  if (argv[0] === '--child') {
    process.stdout.write(JSON.stringify(measure(argv[1] as Mode, Number(argv[2]))));
    return;
  }
  const { nftServices, iptablesLines, json } = parseArgs(argv);
  const log = (m: string) => process.stderr.write(`${m}\n`);
  const iptServices = iptablesServiceCount(iptablesLines);
  ensureInput('nftables', nftServices, log);
  ensureInput('iptables', iptServices, log);
  log('nftables run ...');
  const nft = child('nftables', nftServices);
  log('iptables run ...');
  const ipt = child('iptables', iptServices);
  if (json) {
    process.stdout.write(`${JSON.stringify({ nftables: nft, iptables: ipt }, null, 2)}\n`);
    return;
  }
  const iptLines = readFileSync(inputFile('iptables', iptServices), 'utf8').split('\n').length - 1;
  for (const [p, what] of [
    [nft, `${nft.services} Services, nft -j JSON`],
    [ipt, `${ipt.services} Services, ${iptLines} iptables-save lines`],
  ] as const) {
    process.stdout.write(
      `${p.mode.padEnd(9)} ${what} (${p.inputMB} MB): wall ${s(p.wallMs)} (read ${s(p.readMs)}, parse ${s(p.parseMs)}, view ${s(p.viewMs)}, rules ${s(p.ruleMs)}; snapshot ${s(p.snapshotMs)} apart; CPU ${s(p.cpuMs)} in all)  peak RSS ${mb(p.peakRssBytes)} MB  entries ${p.entries}  findings ${p.findings}\n`,
    );
  }
}

main();
