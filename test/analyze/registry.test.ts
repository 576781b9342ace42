import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import { RULES } from '../../src/analyze/rules/index.ts';

const RULES_DIR = new URL('../../src/analyze/rules/', import.meta.url);

describe('rule registry', () => {
  const files = readdirSync(RULES_DIR, { withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && e.name !== 'index.ts')
    .map((e) => e.name.slice(0, -'.ts'.length))
    .sort();

  it('lists every rule file exactly once', () => {
    const ids = RULES.map((r) => r.id);
    assert.deepEqual([...ids].sort(), files);
    assert.equal(new Set(ids).size, ids.length, 'a rule is listed twice');
  });

  it("names each rule's file after its id", async () => {
    for (const id of files) {
      const mod = (await import(new URL(`${id}.ts`, RULES_DIR).href)) as Record<string, unknown>;
      const rule = RULES.find((r) => Object.values(mod).includes(r));
      assert.ok(rule, `${id}.ts exports no rule in RULES`);
      assert.equal(rule.id, id);
    }
  });
});
