/**
 * deploy/manifests/netdoctor.yaml is the chart rendered with its defaults: re-rendering it must
 * give the same bytes, so the plain manifests never drift from the chart.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { objectsOf } from './helm.ts';

const FILE = 'deploy/manifests/netdoctor.yaml';

describe(FILE, { timeout: 900_000 }, () => {
  it('is what scripts/render-manifests.sh renders from the chart now', () => {
    const r = spawnSync('scripts/render-manifests.sh', ['-'], { encoding: 'utf8', timeout: 900_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readFileSync(FILE, 'utf8'), r.stdout, `re-render it: scripts/render-manifests.sh`);
  });

  it('parses, and starts with the namespace it needs, admitting privileged pods', () => {
    const objects = objectsOf(readFileSync(FILE, 'utf8'));
    const ns = objects[0]!;
    assert.equal(ns.kind, 'Namespace');
    assert.equal(ns.metadata.labels?.['pod-security.kubernetes.io/enforce'], 'privileged');
    for (const o of objects.slice(1))
      if (!o.kind.startsWith('Cluster'))
        assert.equal(o.metadata.namespace, ns.metadata.name, o.metadata.name);
  });
});
