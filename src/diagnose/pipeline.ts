/**
 * `netdoctor diagnose` without the command line: collect the cluster, collect every node, probe,
 * write the bundle, analyze the bundle as written (the same path as `netdoctor analyze`), write
 * the reports into it and pack it. Every phase reports through `progress`; a phase's partial
 * failure is a gap, and only an API server that cannot be reached at all is an error (exit 3).
 */

import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { analyzeBundle } from '../analyze/analyze-bundle.ts';
import { CountingPort } from '../cluster/counting-port.ts';
import { imagePullError } from '../cluster/pod-start-failure.ts';
import type { ClusterPort } from '../cluster/port.ts';
import { packBundle } from '../collect/bundle/archive.ts';
import { type BundleManifest, MANIFEST, REPORT_FILES } from '../collect/bundle/layout.ts';
import { checkOutDir } from '../collect/bundle/out-dir.ts';
import type { BundleNodeInput } from '../collect/bundle/types.ts';
import { writeBundle } from '../collect/bundle/write.ts';
import { collectCluster, readPodLogs } from '../collect/cluster/collect-cluster.ts';
import { dnsServerLogTargets } from '../collect/cluster/log-targets.ts';
import { collectNodes, type NodeAccess } from '../collect/node/collect-nodes.ts';
import type { K8sPod } from '../core/cluster-types.ts';
import type { Gap, Report } from '../core/model.ts';
import type { ProbeResults } from '../core/probe-types.ts';
import { NETDOCTOR_VERSION } from '../core/version.ts';
import { NODE_FILE_PARSERS } from '../datapath/parsers/index.ts';
import type { TlsTarget } from '../probe/types.ts';
import { type Progress, renderBundleReports } from '../report/index.ts';
import { checkAgentNamespace } from './preflight.ts';
import { type RunProbes, runProbes } from './probe-phase.ts';

export const PHASES = ['collect-cluster', 'collect-nodes', 'probes', 'write-bundle', 'analyze'] as const;
export type Phase = (typeof PHASES)[number];

export interface DiagnoseOptions {
  /** The bundle directory to write. */
  outDir: string;
  nodeAccess: NodeAccess;
  /** False with `--no-probes`. */
  probes: boolean;
  /** Where probe pods go, and their image (the agent image by default). */
  probeNamespace: string;
  probeImage: string;
  externalTarget?: string;
  /** An external name the DNS probes resolve through cluster DNS (none: external DNS is skipped). */
  externalName?: string;
  /** Outside services whose TLS handshake every node checks, and the CA those checks trust. */
  tlsTargets?: TlsTarget[];
  tlsCa?: string;
  /** `--check`: recorded in the bundle; diagnose never changes anything either way. */
  check?: boolean;
  /** Budget per node for node collection, and for the probe phase. */
  nodeTimeoutMs?: number;
  probeTimeoutMs?: number;
  /** Defaults to a random 6-character id; every object created carries it. */
  runId?: string;
  /** Context name for the report's metadata. */
  context?: string;
  progress?: Progress;
  /** Substitute probe runner (tests that must not depend on src/probe); the real one otherwise. */
  runProbes?: RunProbes;
  now?: () => Date;
}

export interface DiagnoseResult {
  report: Report;
  bundleDir: string;
  archive: string;
  runId: string;
  /** Milliseconds per phase (a skipped phase is absent). */
  timings: Partial<Record<Phase, number>>;
  totalMs: number;
  /** API requests by method, and their total. */
  apiCalls: { total: number; byMethod: Record<string, number> };
}

/**
 * Nodes a probe pod would change: with ip_forward off, the CNI bridge plugin turns it back on
 * as soon as a pod is added, so probing there would repair (and hide) the very fault being
 * diagnosed. diagnose is read-only, so those nodes get no probe pod.
 */
function forwardingOff(sysctlText: string | undefined): boolean {
  if (sysctlText === undefined) return false;
  try {
    return NODE_FILE_PARSERS.sysctls(sysctlText)['net.ipv4.ip_forward'] === '0';
  } catch {
    // An unreadable sysctl file is a gap of its own; it is no reason to skip probing the node.
    return false;
  }
}

export function nodesProbesWouldChange(
  nodes: Record<string, BundleNodeInput>,
): { node: string; reason: string }[] {
  const out: { node: string; reason: string }[] = [];
  for (const [node, input] of Object.entries(nodes)) {
    if (forwardingOff(input.files.sysctls)) {
      out.push({
        node,
        reason:
          'net.ipv4.ip_forward is 0: a probe pod would make the CNI bridge plugin switch it back on, so no probe pod is placed here',
      });
    }
  }
  return out;
}

export function newRunId(): string {
  return randomBytes(3).toString('hex');
}

const silent: Progress = { phase() {}, done() {}, fail() {}, skip() {}, note() {}, stop() {} };

export async function runDiagnosis(basePort: ClusterPort, opts: DiagnoseOptions): Promise<DiagnoseResult> {
  const port = new CountingPort(basePort);
  const progress = opts.progress ?? silent;
  const runId = opts.runId ?? newRunId();
  const now = opts.now ?? (() => new Date());
  const timings: Partial<Record<Phase, number>> = {};
  const started = performance.now();
  const gaps: Gap[] = [];

  const timed = async <T>(
    phase: Phase,
    detail: string,
    fn: () => Promise<T>,
    summary: (r: T) => string,
  ): Promise<T> => {
    const t0 = performance.now();
    progress.phase(phase, detail);
    try {
      const r = await fn();
      timings[phase] = performance.now() - t0;
      progress.done(phase, summary(r));
      return r;
    } catch (err) {
      timings[phase] = performance.now() - t0;
      progress.fail(phase, err instanceof Error ? err.message : String(err));
      throw err;
    }
  };

  // Before anything is collected: a bundle directory that cannot be used fails now, not later.
  await checkOutDir(opts.outDir);

  const collection = await timed(
    'collect-cluster',
    port.target.server,
    () => collectCluster(port),
    (c) =>
      `${c.cluster.nodes.length} nodes, ${c.cluster.pods.length} pods${c.gaps.length ? `, ${c.gaps.length} gap(s)` : ''}`,
  );
  const { cluster } = collection;
  gaps.push(...collection.gaps);
  if (opts.nodeAccess.kind === 'agent')
    checkAgentNamespace(cluster, collection.gaps, opts.nodeAccess.namespace);
  if (opts.probes) checkAgentNamespace(cluster, collection.gaps, opts.probeNamespace);

  let nodes: Record<string, BundleNodeInput> = {};
  if (cluster.nodes.length === 0) {
    progress.skip('collect-nodes', 'no nodes listed');
  } else {
    const nodeRun = await timed(
      'collect-nodes',
      `${opts.nodeAccess.kind}, ${cluster.nodes.length} node(s)`,
      () =>
        collectNodes(port, cluster.nodes, opts.nodeAccess, {
          runId,
          timeoutMs: opts.nodeTimeoutMs ?? 90_000,
        }),
      (r) =>
        `${Object.keys(r.nodes).length}/${cluster.nodes.length} nodes${r.gaps.length ? `, ${r.gaps.length} gap(s)` : ''}`,
    );
    nodes = nodeRun.nodes;
    gaps.push(...nodeRun.gaps);
  }

  let probes: ProbeResults | undefined;
  if (!opts.probes) {
    progress.skip('probes', '--no-probes');
  } else {
    const probe = opts.runProbes ?? runProbes;
    const run = await timed(
      'probes',
      `${cluster.nodes.length} node(s)`,
      async () => {
        try {
          return await probe(port, cluster, {
            runId,
            namespace: opts.probeNamespace,
            image: opts.probeImage,
            timeoutMs: opts.probeTimeoutMs ?? 120_000,
            avoidNodes: nodesProbesWouldChange(nodes),
            ...(opts.externalTarget ? { externalTarget: opts.externalTarget } : {}),
            ...(opts.externalName ? { externalName: opts.externalName } : {}),
            ...(opts.tlsTargets ? { tlsTargets: opts.tlsTargets } : {}),
            ...(opts.tlsCa ? { tlsCa: opts.tlsCa } : {}),
          });
        } catch (err) {
          // The probe runner is meant to return failures as gaps; anything it throws is one too.
          return {
            results: undefined,
            captures: {},
            gaps: [
              {
                collector: 'probes',
                reason: 'error' as const,
                detail: err instanceof Error ? err.message : String(err),
              },
            ],
          };
        }
      },
      (r) =>
        (r.results ? `${r.results.results.length} probes` : 'failed') +
        (r.gaps.length ? `, ${r.gaps.length} gap(s)` : ''),
    );
    const pull = run.results?.podFailures?.find((f) => f.kind === 'image');
    if (pull) throw imagePullError(opts.probeImage, pull.node, pull);
    probes = run.results;
    gaps.push(...run.gaps);
    if (probes) {
      const targets = dnsServerLogTargets(cluster.pods as K8sPod[]);
      // A failed re-read keeps the log read before the probes; the gap says it is the older one.
      for (const g of await readPodLogs(port, targets, cluster.logs))
        gaps.push({ ...g, collector: `${g.collector} (after probes)` });
    }
    for (const [node, capture] of Object.entries(run.captures)) {
      const input = nodes[node] ?? { files: {}, cniFiles: [] };
      input.files.vxlanCapture = `${JSON.stringify(capture, null, 2)}\n`;
      nodes[node] = input;
    }
  }

  const createdAt = now().toISOString();
  await timed(
    'write-bundle',
    opts.outDir,
    async () => {
      await writeBundle(opts.outDir, {
        meta: {
          createdAt,
          source: 'live',
          netdoctorVersion: NETDOCTOR_VERSION,
          cluster: {
            ...(opts.context ? { context: opts.context } : {}),
            ...(cluster.serverVersion ? { kubernetesVersion: cluster.serverVersion } : {}),
          },
          ...(opts.check ? { description: 'diagnose --check (read-only)' } : {}),
        },
        cluster,
        nodes,
        ...(probes ? { probes } : {}),
        gaps,
      });
      return opts.outDir;
    },
    () => 'written',
  );

  let written: string[] = [];
  const report = await timed(
    'analyze',
    opts.outDir,
    async () => {
      const r = await analyzeBundle(opts.outDir, { now: now() });
      written = await addReports(opts.outDir, r);
      return r;
    },
    (r) => `${r.verdict}, ${r.rootCauses.length} root cause(s), ${r.findings.length} finding(s)`,
  );
  const packed = await packBundle(opts.outDir, written);

  return {
    report,
    bundleDir: opts.outDir,
    archive: packed,
    runId,
    timings,
    totalMs: performance.now() - started,
    apiCalls: { total: port.total, byMethod: { ...port.calls } },
  };
}

/** Writes the four reports into the bundle, lists them in its manifest, and returns its file list. */
async function addReports(dir: string, report: Report): Promise<string[]> {
  const files = renderBundleReports(report);
  const written = (Object.keys(REPORT_FILES) as (keyof typeof REPORT_FILES)[]).map((k) => ({
    path: REPORT_FILES[k],
    text: files[k],
  }));
  await Promise.all(written.map((f) => writeFile(join(dir, f.path), f.text)));
  const manifest = JSON.parse(await readFile(join(dir, MANIFEST), 'utf8')) as BundleManifest;
  const paths = new Set<string>(written.map((f) => f.path));
  manifest.files = [
    ...manifest.files.filter((f) => !paths.has(f.path)),
    ...written.map((f) => ({ path: f.path, bytes: Buffer.byteLength(f.text) })),
  ].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  await writeFile(join(dir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest.files.map((f) => f.path);
}
