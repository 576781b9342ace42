/**
 * Time-to-diagnosis on the 3-node lab, warm: one untimed run (images cached, connections and
 * JIT warm), then `--runs N` timed runs of the whole `diagnose` pipeline in-process, printing
 * each phase's median and the API calls made per run (by method). Goal (issue 4): under 20 s.
 *
 *   node bench/diagnose.bench.ts [--runs N] [--no-probes] [--json]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubePort, loadKubeConfig } from '../src/cluster/kube-port.ts';
import { PHASES, runDiagnosis } from '../src/diagnose/pipeline.ts';

const GOAL_MS = 20_000;
const LAB_KUBECONFIG = '/var/lib/netdoctor-lab/admin.kubeconfig';
const LAB_IMAGE = 'netdoctor.lab/toolbox:1-ndlab';

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1] ?? 3) || 3;
const probes = !args.includes('--no-probes');
const json = args.includes('--json');

const port = new KubePort(loadKubeConfig({ kubeconfig: process.env['KUBECONFIG'] ?? LAB_KUBECONFIG }));
const work = mkdtempSync(join(tmpdir(), 'netdoctor-diagnose-bench-'));

async function once(i: number) {
  return runDiagnosis(port, {
    outDir: join(work, `run-${i}`),
    nodeAccess: { kind: 'agent', image: LAB_IMAGE, namespace: 'kube-system' },
    probes,
    probeNamespace: 'kube-system',
    probeImage: LAB_IMAGE,
  });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
};

try {
  await once(-1);
  const results: Awaited<ReturnType<typeof once>>[] = [];
  for (let i = 0; i < runs; i++) results.push(await once(i));
  const phases = Object.fromEntries(
    PHASES.map((p) => [p, median(results.map((r) => r.timings[p] ?? 0))]),
  ) as Record<string, number>;
  const total = median(results.map((r) => r.totalMs));
  const calls = results[0]?.apiCalls ?? { total: 0, byMethod: {} };
  const verdicts = results.map((r) => r.report.verdict);
  if (json) {
    process.stdout.write(
      `${JSON.stringify({ runs, probes, totalMs: total, phases, apiCalls: calls, verdicts }, null, 2)}\n`,
    );
  } else {
    const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
    process.stdout.write(
      `diagnose on the lab (${results[0]?.report.meta.cluster?.kubernetesVersion ?? '?'}), warm, median of ${runs}${probes ? '' : ', --no-probes'}\n`,
    );
    for (const p of PHASES) process.stdout.write(`  ${p.padEnd(16)} ${s(phases[p] ?? 0).padStart(9)}\n`);
    process.stdout.write(
      `  ${'total'.padEnd(16)} ${s(total).padStart(9)}   goal < ${s(GOAL_MS)}: ${total < GOAL_MS ? 'met' : 'MISSED'}\n`,
    );
    process.stdout.write(`API calls per run: ${calls.total}\n`);
    for (const [m, n] of Object.entries(calls.byMethod).sort())
      process.stdout.write(`  ${m.padEnd(24)} ${n}\n`);
    process.stdout.write(`verdicts: ${verdicts.join(', ')}\n`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
