/**
 * Fuzzing the bundle reader and the analysis with malformed variants of every bundle file kind,
 * each starting from recorded content (test/fixtures/bundles/two-node-flannel, plus the node
 * files it lacks from examples/healthy) and from a recorded fault (examples/flannel-agent-stalled).
 * For every case:
 *
 * - analysis finishes within its time bound and never throws, except the manifest's own
 *   NetdoctorError (exit 2), and no rule ends in an error;
 * - a file that fails to parse or validate is a gap naming it, and the findings and root causes
 *   are exactly those of the same bundle without that file: nothing is concluded from it.
 *
 * Memory stays bounded over the whole run. NETDOCTOR_FUZZ_RUNS sets the number of cases
 * (500 by default); NETDOCTOR_FUZZ_SEED replays a run.
 */
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { analyzeBundle } from '../../src/analyze/analyze-bundle.ts';
import { NetdoctorError } from '../../src/core/errors.ts';
import type { Report } from '../../src/core/model.ts';

const RUNS = Number(process.env['NETDOCTOR_FUZZ_RUNS'] ?? 500);
const SEED =
  process.env['NETDOCTOR_FUZZ_SEED'] === undefined ? undefined : Number(process.env['NETDOCTOR_FUZZ_SEED']);
const CASE_TIME_MS = 10_000;
const NOW = new Date('2026-03-12T10:30:00Z');

const FIXTURE = 'test/fixtures/bundles/two-node-flannel';
const FAULT = 'examples/flannel-agent-stalled';
/** Node file kinds the fixture lacks, taken from a recorded example. */
const EXTRA_NODE_FILES: Record<string, string> = {
  'nft-ruleset.json': 'examples/healthy/nodes/ndlab-node2/nft-ruleset.json',
  'vxlan-capture.json': 'examples/healthy/nodes/ndlab-node2/vxlan-capture.json',
  'iptables-legacy.txt': 'examples/healthy/nodes/ndlab-node2/iptables-legacy.txt',
};
/** Two kinds no recorded bundle holds yet; their text is what the tools print. */
const LITERAL_NODE_FILES: Record<string, string> = {
  'modules.txt': 'br_netfilter 32768 0 - Live 0x0000000000000000\nvxlan 86016 0 - Live 0x0000000000000000\n',
  'cni-status.txt':
    'Calico process is running.\n\nIPv4 BGP status\n+--------------+-------------------+-------+----------+-------------+\n| PEER ADDRESS |     PEER TYPE     | STATE |  SINCE   |    INFO     |\n+--------------+-------------------+-------+----------+-------------+\n| 192.168.56.12 | node-to-node mesh | up    | 10:00:00 | Established |\n+--------------+-------------------+-------+----------+-------------+\n',
};

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** One way to break a file. */
type Mutation =
  | { kind: 'replace'; at: number; value: Json }
  | { kind: 'delete'; at: number }
  | { kind: 'wrap'; how: 'array' | 'items' | 'results' }
  | { kind: 'truncate'; at: number }
  | { kind: 'text'; text: string }
  | { kind: 'line'; at: number; text: string }
  | { kind: 'nest'; depth: number };

const jsonValue: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(null, 0, -1, 1.5, 1e308, '', 'a', true, false, [], {}, [null], { items: null }),
  fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), value: jsonValue }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('wrap' as const),
      how: fc.constantFrom('array' as const, 'items' as const, 'results' as const),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('text' as const), text: fc.string({ maxLength: 64 }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('line' as const),
      at: fc.nat(),
      text: fc.string({ maxLength: 80 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('nest' as const), depth: fc.integer({ min: 100, max: 5000 }) }),
  },
);

/** Every container path of a JSON value (objects and arrays), in a stable order. */
function containers(
  v: Json,
  out: (Json[] | { [k: string]: Json })[] = [],
): (Json[] | { [k: string]: Json })[] {
  if (v !== null && typeof v === 'object') {
    out.push(v);
    for (const c of Array.isArray(v) ? v : Object.values(v)) containers(c, out);
  }
  return out;
}

/** Applies `m` to `text`; structural mutations on text that is not JSON fall back to a line edit. */
function mutate(text: string, m: Mutation): string {
  let parsed: Json | undefined;
  try {
    parsed = JSON.parse(text) as Json;
  } catch {
    parsed = undefined;
  }
  switch (m.kind) {
    case 'truncate':
      return text.slice(0, text.length === 0 ? 0 : m.at % text.length);
    case 'text':
      return m.text;
    case 'nest':
      return `${'['.repeat(m.depth)}${']'.repeat(m.depth)}`;
    case 'line': {
      const lines = text.split('\n');
      lines.splice(m.at % (lines.length + 1), 1, m.text);
      return lines.join('\n');
    }
    case 'wrap':
      if (parsed === undefined) return `${text}\n${text}`;
      return JSON.stringify(m.how === 'array' ? [parsed] : { [m.how]: parsed });
    case 'replace':
    case 'delete': {
      if (parsed === undefined || parsed === null || typeof parsed !== 'object') {
        const lines = text.split('\n');
        if (m.kind === 'delete') lines.splice(m.at % Math.max(1, lines.length), 1);
        else lines.splice(m.at % (lines.length + 1), 0, JSON.stringify(m.value));
        return lines.join('\n');
      }
      const all = containers(parsed);
      const target = all[m.at % all.length] as Json[] | { [k: string]: Json };
      const keys = Array.isArray(target) ? target.map((_, i) => i) : Object.keys(target);
      if (keys.length === 0) {
        if (m.kind === 'replace') {
          if (Array.isArray(target)) target.push(m.value);
          else target['x'] = m.value;
        }
        return JSON.stringify(parsed);
      }
      const key = keys[Math.floor(m.at / all.length) % keys.length] as string | number;
      if (m.kind === 'replace') (target as Record<string | number, Json>)[key] = m.value;
      else if (Array.isArray(target)) target.splice(key as number, 1);
      else delete target[key as string];
      return JSON.stringify(parsed);
    }
  }
}

/** What a report concludes: its findings and root causes, order aside. */
function conclusions(r: Report): string {
  return JSON.stringify({
    findings: r.findings.map((f) => `${f.rule}|${f.id}`).sort(),
    rootCauses: r.rootCauses.map((c) => `${c.category}|${c.subject.kind}/${c.subject.name}`).sort(),
  });
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`analysis took longer than ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** A bundle copied into the work directory, with every fuzzable file's original text. */
interface Base {
  name: string;
  dir: string;
  files: string[];
  originals: Map<string, string>;
  /** Per file: the conclusions of the bundle without it. */
  without: Map<string, string>;
}

/**
 * Copies `from` to `dir`, lets `adjust` edit its manifest and files, and records what the
 * analysis concludes without each file in turn.
 */
async function prepareBase(
  name: string,
  from: string,
  dir: string,
  adjust: (dir: string, manifest: { files: { path: string; bytes: number }[] }) => Promise<void>,
): Promise<Base> {
  await cp(from, dir, { recursive: true });
  const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as {
    files: { path: string; bytes: number }[];
  };
  await adjust(dir, manifest);
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  const files = [
    'manifest.json',
    ...manifest.files
      .map((f) => f.path)
      .filter((p) => !p.startsWith('components/') && !/^report\.|\.md$|summary\.txt$/.test(p)),
  ];
  const originals = new Map<string, string>();
  for (const f of files) originals.set(f, await readFile(join(dir, f), 'utf8'));
  const without = new Map<string, string>();
  for (const f of files) {
    if (f === 'manifest.json') continue;
    await rm(join(dir, f));
    without.set(f, conclusions(await analyzeBundle(dir, { now: NOW })));
    await writeFile(join(dir, f), originals.get(f) as string);
  }
  return { name, dir, files, originals, without };
}

describe('fuzzed bundle files', () => {
  let work: string;
  const bases: Base[] = [];

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'ndt-fuzz-'));
    // The small two-node fixture, with the node file kinds it lacks added to node-1.
    bases.push(
      await prepareBase('two-node-flannel', FIXTURE, join(work, 'two-node'), async (dir, manifest) => {
        const extra: Record<string, string> = { ...LITERAL_NODE_FILES };
        for (const [name, from] of Object.entries(EXTRA_NODE_FILES))
          extra[name] = await readFile(from, 'utf8');
        for (const [name, text] of Object.entries(extra)) {
          const path = `nodes/node-1/${name}`;
          await writeFile(join(dir, path), text);
          manifest.files.push({ path, bytes: Buffer.byteLength(text) });
        }
      }),
    );
    // A recorded fault with findings and root causes, its 1 MB of events cut to the last 200.
    bases.push(
      await prepareBase('flannel-agent-stalled', FAULT, join(work, 'fault'), async (dir) => {
        const path = join(dir, 'cluster/events.json');
        const events = JSON.parse(await readFile(path, 'utf8')) as { items: unknown[] };
        events.items = events.items.slice(-200);
        await writeFile(path, JSON.stringify(events));
      }),
    );
  });
  after(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it(`${RUNS} malformed variants: no crash, no finding from a file that failed, bounded time and memory`, async () => {
    const rssBefore = process.memoryUsage().rss;
    let peakRss = rssBefore;
    const stats = { cases: 0, gaps: 0, manifestErrors: 0, slowestMs: 0 };
    const t0 = performance.now();
    // The fault bundle takes about three times as long per case, so it gets a quarter of them.
    const [small, fault] = bases as [Base, Base];
    const pick = fc
      .oneof({ weight: 3, arbitrary: fc.constant(small) }, { weight: 1, arbitrary: fc.constant(fault) })
      .chain((base) => fc.tuple(fc.constant(base), fc.constantFrom(...base.files)));
    await fc.assert(
      fc.asyncProperty(pick, mutation, async ([base, file], m) => {
        const original = base.originals.get(file) as string;
        await writeFile(join(base.dir, file), mutate(original, m));
        const t = performance.now();
        try {
          let report: Report;
          try {
            report = await withTimeout(analyzeBundle(base.dir, { now: NOW }), CASE_TIME_MS);
          } catch (err) {
            // Only the manifest may stop the read, and only as a bundle error (exit 2).
            assert.ok(
              file === 'manifest.json' && err instanceof NetdoctorError && err.exitCode === 2,
              `${base.name}/${file}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
            );
            stats.manifestErrors++;
            return;
          }
          const erroredRules = report.rules.filter((r) => r.status === 'error');
          assert.deepEqual(erroredRules, [], `${base.name}/${file}: a rule crashed`);
          const failed = report.gaps.find((g) => g.collector === file && g.reason === 'parse-error');
          if (failed) {
            stats.gaps++;
            assert.equal(
              conclusions(report),
              base.without.get(file),
              `${base.name}/${file}: concluded something from a file that failed (${failed.detail})`,
            );
          }
        } finally {
          stats.cases++;
          stats.slowestMs = Math.max(stats.slowestMs, performance.now() - t);
          peakRss = Math.max(peakRss, process.memoryUsage().rss);
          await writeFile(join(base.dir, file), original);
        }
      }),
      { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }) },
    );
    const totalMs = performance.now() - t0;
    const files = bases.reduce((n, b) => n + b.files.length, 0);
    process.stderr.write(
      `fuzz: ${stats.cases} cases over ${files} files of ${bases.length} bundles in ${(totalMs / 1000).toFixed(1)} s ` +
        `(slowest ${Math.round(stats.slowestMs)} ms), ${stats.gaps} became parse/schema gaps, ` +
        `${stats.manifestErrors} manifest errors, RSS ${Math.round(rssBefore / 2 ** 20)} -> peak ${Math.round(peakRss / 2 ** 20)} MiB\n`,
    );
    assert.ok(peakRss - rssBefore < 512 * 2 ** 20, 'memory grew by more than 512 MiB');
  });
});
