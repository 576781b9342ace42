/**
 * Bundles written with the client library's property names (`_from`, `_except`) read back with
 * the API's, so their ingress rules keep their peers.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { withApiFieldNames } from '../../src/collect/bundle/legacy-fields.ts';
import { readBundle } from '../../src/collect/bundle/read.ts';

const legacyPolicy = () => ({
  metadata: { name: 'web-ingress', namespace: 'shop' },
  spec: {
    podSelector: { matchLabels: { app: 'web' } },
    policyTypes: ['Ingress', 'Egress'],
    ingress: [
      { _from: [{ ipBlock: { cidr: '10.0.0.0/8', _except: ['10.1.0.0/16'] } }, { podSelector: {} }] },
    ],
    egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', _except: ['169.254.0.0/16'] } }] }],
  },
});

describe('bundles with client-library field names', () => {
  it('renames _from and _except to the API names and leaves current policies alone', () => {
    const p = withApiFieldNames(legacyPolicy()) as ReturnType<typeof legacyPolicy>;
    const ingress = p.spec.ingress[0] as unknown as { from: { ipBlock?: { except?: string[] } }[] };
    assert.deepEqual(ingress.from[0]?.ipBlock?.except, ['10.1.0.0/16']);
    assert.equal('_from' in (p.spec.ingress[0] as object), false);
    const egressBlock = p.spec.egress[0]?.to[0]?.ipBlock as { except?: string[] } | undefined;
    assert.deepEqual(egressBlock?.except, ['169.254.0.0/16']);
    const current = { spec: { podSelector: {}, ingress: [{ from: [{ podSelector: {} }] }] } };
    assert.deepEqual(withApiFieldNames(structuredClone(current)), current);
  });

  it('readBundle applies it to cluster/networkpolicies.json', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ndt-legacy-'));
    try {
      cpSync('examples/healthy', dir, { recursive: true });
      const text = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [legacyPolicy()] });
      writeFileSync(join(dir, 'cluster/networkpolicies.json'), text);
      const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as {
        files: { path: string; bytes: number }[];
      };
      const entry = manifest.files.find((f) => f.path === 'cluster/networkpolicies.json');
      if (entry) entry.bytes = Buffer.byteLength(text);
      writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
      const s = await readBundle(dir);
      const rule = s.cluster.networkPolicies[0]?.spec.ingress?.[0];
      assert.equal(rule?.from?.length, 2, 'the ingress peers survive');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
