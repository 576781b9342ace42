/**
 * One accuracy run of the randomized generator on the real lab: break the lab with a seed's
 * fault, diagnose it as a user would, score the first root cause against the seed's ground
 * truth, heal, and wait until the lab passes its healthy checks again. Used by the accuracy
 * benchmark (50 seeds) and by its CI sample.
 */
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubePort, loadKubeConfig } from '../../src/cluster/kube-port.ts';
import { runDiagnosis } from '../../src/diagnose/pipeline.ts';
import { type BrokenRandom, breakRandom, healFaults } from '../../src/lab/fault-runner.ts';
import type { GroundTruth } from '../../src/lab/random/generate.ts';
import { type Score, scoreDiagnosis } from '../../src/lab/random/score.ts';
import { NET } from '../../src/lab/topology.ts';
import { loadVersions } from '../../src/lab/versions.ts';
import { eventually, healthyFailures, paths } from './lab-checks.ts';

const TOOLBOX = `netdoctor.lab/toolbox:${loadVersions().TOOLBOX_VERSION}`;
/**
 * Time a fault gets to show before the diagnosis: crash loops need a restart or two, and
 * controllers a resync, to turn a change into the outage users see.
 */
const SHOW_MS = 20_000;

export interface SeedResult {
  seed: number;
  truth: GroundTruth;
  summary: string;
  score: Score;
  diagnoseMs: number;
  /** Root causes as `category Kind/name`, in rank order. */
  rootCauses: string[];
  verdict: string;
}

/** Breaks, diagnoses, scores and heals one seed; the lab is healthy again when it returns. */
export async function runSeed(seed: number): Promise<SeedResult> {
  const broken = await breakRandom(paths, seed);
  const work = mkdtempSync(join(tmpdir(), 'ndt-accuracy-'));
  // Heal and settle whatever the diagnosis did, so a failed seed never poisons the next one.
  const outcome = await diagnose(seed, broken, work).then(
    (r) => ({ ok: true as const, r }),
    (err: unknown) => ({ ok: false as const, err }),
  );
  // NETDOCTOR_ACCURACY_KEEP=<dir> keeps the bundle of every seed the diagnosis got wrong.
  const keep = process.env['NETDOCTOR_ACCURACY_KEEP'];
  if (keep && existsSync(join(work, 'bundle')) && !(outcome.ok && outcome.r.score.subjectRight))
    cpSync(join(work, 'bundle'), join(keep, `seed-${seed}`), { recursive: true });
  rmSync(work, { recursive: true, force: true });
  await healAndSettle(seed);
  if (!outcome.ok) throw outcome.err;
  return outcome.r;
}

async function diagnose(seed: number, broken: BrokenRandom, work: string): Promise<SeedResult> {
  await new Promise((r) => setTimeout(r, SHOW_MS));
  const t0 = performance.now();
  const { report } = await runDiagnosis(new KubePort(loadKubeConfig({ kubeconfig: paths.kubeconfig })), {
    outDir: join(work, 'bundle'),
    nodeAccess: { kind: 'agent', image: TOOLBOX, namespace: 'kube-system' },
    probes: true,
    probeNamespace: 'default',
    probeImage: TOOLBOX,
    externalTarget: `http://${NET.outsideWeb}/`,
    externalName: NET.outsideWebName,
  });
  return {
    seed,
    truth: broken.truth,
    summary: broken.summary,
    score: scoreDiagnosis(broken.truth, report.rootCauses),
    diagnoseMs: performance.now() - t0,
    rootCauses: report.rootCauses.map((rc) => `${rc.category} ${rc.subject.kind}/${rc.subject.name}`),
    verdict: report.verdict,
  };
}

async function healAndSettle(seed: number): Promise<void> {
  const healed = await healFaults(paths);
  if (healed.residue.length > 0) {
    throw new Error(`seed ${seed} left residue: ${healed.residue.map((r) => r.left.join('; ')).join(' | ')}`);
  }
  let fails: string[] = [];
  await eventually(
    `the lab healthy again after seed ${seed}`,
    () => {
      fails = healthyFailures();
      return fails.length === 0;
    },
    240_000,
  ).catch((err: unknown) => {
    throw new Error(`${err instanceof Error ? err.message : String(err)}: ${fails.join('; ')}`);
  });
}

/** One line per seed, for the benchmark's table and a failing test's message. */
export function seedLine(r: SeedResult): string {
  const mark = r.score.subjectRight ? 'ok  ' : r.score.categoryRight ? 'subj' : 'MISS';
  const want = `${r.truth.category} ${r.truth.subjects.map((s) => `${s.kind}/${s.name}`).join('|') || '*'}`;
  return `${mark} seed ${String(r.seed).padStart(4)} ${r.truth.shape.padEnd(44)} want ${want}; got ${r.score.named} (+${r.score.falseRootCauses} other) ${(r.diagnoseMs / 1000).toFixed(1)} s`;
}
