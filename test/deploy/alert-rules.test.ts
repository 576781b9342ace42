/**
 * The Prometheus alert rules shipped in deploy/prometheus: promtool accepts them and their unit
 * tests pass (each alert fires once its `for` has passed, not before, not on a healthy series),
 * and every netdoctor metric they watch is one the agent or the controller exports, so a
 * renamed metric cannot leave an alert that never fires.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'yaml';

const DIR = 'deploy/prometheus';
const RULES = `${DIR}/netdoctor-alerts.yaml`;

function promtool(args: string[]): string {
  return execFileSync('promtool', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('alert rules', () => {
  it('pass promtool check and their unit tests', () => {
    assert.match(promtool(['check', 'rules', RULES]), /SUCCESS: 7 rules found/);
    assert.match(promtool(['test', 'rules', `${DIR}/netdoctor-alerts.test.yaml`]), /SUCCESS/);
  });

  it('watch only metrics netdoctor exports', () => {
    const doc = parse(readFileSync(RULES, 'utf8')) as { groups: { rules: { expr: string }[] }[] };
    const exported = ['src/agent/agent-metrics.ts', 'src/serve/metrics-registry.ts']
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    const watched = doc.groups.flatMap((g) =>
      g.rules.flatMap((r) => r.expr.match(/netdoctor_[a-z_]+/g) ?? []),
    );
    assert.ok(watched.length >= 4);
    for (const m of watched)
      assert.ok(exported.includes(`'${m}'`), `${m} is not exported by the agent or serve`);
  });
});
