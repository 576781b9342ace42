/**
 * Taking any one collected file out of a recorded bundle must never make a finding appear: the
 * file's absence is a hole in the collection, not a fact about the cluster, so the rules that
 * need it are skipped with the reason, and the rest of the report stands; a healthy verdict
 * becomes inconclusive, since what was not seen is no evidence of health.
 */
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { analyzeBundle } from '../../src/analyze/analyze-bundle.ts';
import { RULES } from '../../src/analyze/rules/index.ts';
import { CLUSTER_FILES, NODE_CNI_DIR, NODE_FILES, PROBES_FILE } from '../../src/collect/bundle/layout.ts';
import type { Report } from '../../src/core/model.ts';
import { EXAMPLES_DIR, loadExampleCatalog } from '../../src/examples/catalog.ts';

const catalog = await loadExampleCatalog();
/** Files whose removal is checked: everything analysis reads (reports and component summaries are derived). */
const READ = /^(cluster|nodes|probes|logs)\//;
/** What some rule declares it needs, by cluster path or node file name (`cni-net.d` for the CNI configs). */
const NEEDED = new Set<string>();
for (const rule of RULES) {
  for (const k of rule.needs?.cluster ?? []) NEEDED.add(CLUSTER_FILES[k]);
  for (const k of rule.needs?.node ?? []) NEEDED.add(k === 'cniConfigs' ? NODE_CNI_DIR : NODE_FILES[k]);
  if (rule.needs?.probes) NEEDED.add(PROBES_FILE);
}

function fingerprint(r: Report): Set<string> {
  return new Set(r.findings.filter((f) => f.severity !== 'info').map((f) => f.id));
}

describe('a file missing from a recorded bundle never produces a finding', () => {
  let work: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'nd-missing-'));
  });
  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  for (const ex of catalog) {
    it(`${ex.id}: every file removed in turn`, async () => {
      const dir = join(work, ex.id);
      await cp(join(EXAMPLES_DIR, ex.id), dir, { recursive: true });
      const now = new Date(0);
      const base = await analyzeBundle(dir, { now });
      const known = fingerprint(base);
      const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as {
        files: { path: string }[];
      };
      const files = manifest.files.map((f) => f.path).filter((p) => READ.test(p));
      assert.ok(files.length > 10);
      for (const file of files) {
        const aside = join(work, 'aside');
        await rename(join(dir, file), aside);
        try {
          const r = await analyzeBundle(dir, { now });
          const fresh = [...fingerprint(r)].filter((id) => !known.has(id));
          assert.deepEqual(fresh, [], `removing ${file} produced: ${fresh.join(', ')}`);
          const name = file.startsWith('nodes/')
            ? file
                .split('/')
                .slice(2)
                .join('/')
                .replace(/^cni-net\.d\/.*/, NODE_CNI_DIR)
            : file;
          if (NEEDED.has(name)) {
            const skippers = r.rules.filter((o) => o.status !== 'error' && o.notCollected?.includes(name));
            assert.ok(skippers.length > 0, `no rule says it lacked ${file}`);
            // Nothing found, but something unseen: never healthy, whether the rule lacked the
            // file everywhere (skipped) or on this one node only (partial).
            if (base.verdict === 'healthy')
              assert.equal(
                r.verdict,
                'inconclusive',
                `removing ${file}: ${r.coverage.shortfalls.join('; ')}`,
              );
          }
        } finally {
          await rename(aside, join(dir, file));
        }
      }
    });
  }
});
