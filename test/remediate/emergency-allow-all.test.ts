/**
 * The emergency NetworkPolicy bypass, pure parts: what gets backed up, the policy body, the
 * revert plan, the byte-for-byte comparison, the revert command, and fix directories that are
 * not what `--revert` needs.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { NetdoctorError } from '../../src/core/errors.ts';
import { BYPASS_NAME, bypassPolicy, isBypass } from '../../src/remediate/emergency/bypass-policy.ts';
import { namespaceDrift } from '../../src/remediate/emergency/drift.ts';
import {
  backupFile,
  parseEmergencyRecord,
  RECORD_FILE,
  readEmergencyFixDir,
} from '../../src/remediate/emergency/fix-dir.ts';
import { planEmergency, revertCommandFor } from '../../src/remediate/emergency/plan.ts';
import {
  canonicalPolicy,
  policyDifferences,
  restorableBody,
  type WirePolicy,
} from '../../src/remediate/emergency/policy-canon.ts';
import { renderEmergencyPlan, renderRevertPlan } from '../../src/remediate/emergency/render.ts';
import { planRevert } from '../../src/remediate/emergency/revert-plan.ts';
import { allowWeb, denyAll, SERVER } from './emergency-fixtures.ts';

const NOW = new Date('2026-12-05T12:30:00.000Z');
const FIX = '/var/tmp/fix-2026-12-05T12-30-00-000Z';
const REVERT = `netdoctor fix --revert ${FIX}`;

function plan(namespaces: string[], live: Record<string, WirePolicy[]>) {
  return planEmergency({
    namespaces,
    existing: new Set(['default', ...Object.keys(live)]),
    live: new Map(Object.entries(live)),
    fixDir: FIX,
    revertCommand: REVERT,
    server: SERVER,
    now: NOW,
  });
}

describe('emergency bypass: the policy', () => {
  it('selects every pod and allows all ingress and egress, labelled and carrying its revert command', () => {
    const p = bypassPolicy('shop', REVERT);
    assert.deepEqual(p.spec, {
      podSelector: {},
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{}],
      egress: [{}],
    });
    assert.equal(p.metadata.name, BYPASS_NAME);
    assert.equal(p.metadata.namespace, 'shop');
    assert.equal(p.metadata.labels?.['app.kubernetes.io/managed-by'], 'netdoctor');
    assert.equal(p.metadata.labels?.['netdoctor.io/emergency'], 'allow-all');
    assert.equal(p.metadata.annotations?.['netdoctor.io/revert'], REVERT);
    assert.ok(isBypass(p));
    assert.ok(
      !isBypass({ ...p, metadata: { name: BYPASS_NAME } }),
      'a namesake without the label is not ours',
    );
  });
});

describe('emergency bypass: planning', () => {
  it('backs up every policy of each namespace as listed (nothing stripped) and creates one bypass each', () => {
    const r = plan(['shop', 'shop', 'web'], { shop: [denyAll('shop'), allowWeb('shop')], web: [] });
    assert.equal(r.status, 'planned');
    if (r.status !== 'planned') return;
    assert.deepEqual(
      r.plan.namespaces.map((n) => [n.namespace, n.policies.map((p) => p.metadata.name)]),
      [
        ['shop', ['allow-web', 'deny-all']],
        ['web', []],
      ],
      'duplicates dropped, policies sorted by name',
    );
    assert.deepEqual(
      r.plan.namespaces[0]?.policies[1],
      denyAll('shop'),
      'the exact object, server fields and all',
    );
    assert.deepEqual(r.plan.namespaces[0]?.bypass, bypassPolicy('shop', REVERT));
    assert.deepEqual(r.plan.record, {
      action: 'emergency-allow-all',
      version: 1,
      createdAt: NOW.toISOString(),
      server: SERVER,
      namespaces: [
        { namespace: 'shop', policies: ['allow-web', 'deny-all'] },
        { namespace: 'web', policies: [] },
      ],
    });
    const text = renderEmergencyPlan(r.plan);
    assert.match(text, /back up: 2 NetworkPolicy\(s\): allow-web, deny-all/);
    assert.match(text, /create NetworkPolicy shop\/netdoctor-emergency-allow-all/);
    assert.match(text, /egress:\n\s+- \{\}/);
    assert.ok(text.includes(`revert: ${REVERT}`));
  });

  it('refuses, changing nothing, a namespace that does not exist, a bad name, or one already bypassed', () => {
    const r = plan(['gone', 'Not_A_Name', 'shop', 'other'], {
      shop: [denyAll('shop'), { ...bypassPolicy('shop', 'netdoctor fix --revert /x/fix-1') }],
      other: [{ metadata: { name: BYPASS_NAME, namespace: 'other' }, spec: { podSelector: {} } }],
    });
    assert.equal(r.status, 'refused');
    if (r.status !== 'refused') return;
    assert.deepEqual(r.reasons, [
      'namespace gone does not exist',
      '"Not_A_Name" is not a namespace name',
      `shop already has the emergency bypass ${BYPASS_NAME}; revert it first: netdoctor fix --revert /x/fix-1`,
      `other has a NetworkPolicy named ${BYPASS_NAME} that netdoctor did not create (no netdoctor.io/emergency label)`,
    ]);
    assert.equal(plan([], {}).status, 'refused');
  });

  it('prints a revert command that pastes anywhere: absolute fix dir, cluster flags, quoting only when needed', () => {
    assert.equal(revertCommandFor('/a/fix-1', {}), 'netdoctor fix --revert /a/fix-1');
    assert.equal(
      revertCommandFor('/a b/fix-1', { kubeconfig: '/k/config', context: "o'neil" }),
      `netdoctor fix --revert '/a b/fix-1' --kubeconfig /k/config --context 'o'\\''neil'`,
    );
  });
});

describe('emergency bypass: the byte-for-byte comparison', () => {
  it('compares name, labels, annotations and spec; server fields do not count; key order does not', () => {
    const a = denyAll('shop');
    const recreated: WirePolicy = {
      spec: { policyTypes: ['Ingress', 'Egress'], podSelector: {} },
      metadata: { ...restorableBody(a, 'shop').metadata, uid: 'other', resourceVersion: '9' },
    };
    assert.equal(canonicalPolicy(recreated), canonicalPolicy(a));
    assert.deepEqual(policyDifferences(a, recreated), []);
    const relabelled = structuredClone(a);
    relabelled.metadata.labels = { team: 'other' };
    relabelled.spec['policyTypes'] = ['Ingress'];
    assert.deepEqual(policyDifferences(a, relabelled), ['labels', 'spec']);
    const noAnnotation = structuredClone(a);
    delete noAnnotation.metadata.annotations;
    assert.deepEqual(
      policyDifferences(a, noAnnotation),
      ['annotations'],
      'last-applied counts: it is an annotation',
    );
    const reordered = structuredClone(allowWeb('shop'));
    (reordered.spec['ingress'] as unknown[]).unshift({});
    assert.notEqual(canonicalPolicy(reordered), canonicalPolicy(allowWeb('shop')), 'array order counts');
  });

  it('restores a policy from its backup with exactly what is compared, and no server fields', () => {
    const body = restorableBody(denyAll('shop'), 'shop');
    assert.deepEqual(body, {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: {
        name: 'deny-all',
        namespace: 'shop',
        labels: { team: 'payments' },
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"kind":"NetworkPolicy"}' },
      },
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    });
  });

  it('names what drifted: changed fields, gone, added, and the bypass', () => {
    const changed = structuredClone(allowWeb('shop'));
    changed.metadata.annotations = { note: 'edited during the outage' };
    const d = namespaceDrift({ namespace: 'shop', policies: [denyAll('shop'), allowWeb('shop')] }, [
      changed,
      { ...allowWeb('shop'), metadata: { name: 'late' } },
      bypassPolicy('shop', REVERT),
    ]);
    assert.deepEqual(d.policies, [
      { name: 'deny-all', state: 'vanished' },
      { name: 'allow-web', state: 'changed', fields: ['annotations'] },
    ]);
    assert.deepEqual(d.added, ['late']);
    assert.equal(d.bypass, 'present');
  });
});

describe('emergency bypass: the revert plan', () => {
  const backups = [
    { namespace: 'shop', policies: [allowWeb('shop'), denyAll('shop')] },
    { namespace: 'empty', policies: [] },
    { namespace: 'deleted', policies: [denyAll('deleted')] },
  ];

  it('restores what changed or vanished first, then deletes the bypass; leaves added policies; skips gone namespaces', () => {
    const changed = structuredClone(denyAll('shop'));
    changed.spec['policyTypes'] = ['Ingress'];
    const r = planRevert(
      backups,
      new Map([
        [
          'shop',
          [changed, bypassPolicy('shop', REVERT), { ...allowWeb('shop'), metadata: { name: 'late' } }],
        ],
        ['empty', [bypassPolicy('empty', REVERT)]],
      ]),
    );
    assert.equal(r.status, 'planned');
    if (r.status !== 'planned') return;
    assert.deepEqual(
      r.plan.actions.map((a) =>
        a.type === 'restore' ? `${a.how} ${a.namespace}/${a.name}` : `delete-bypass ${a.namespace}`,
      ),
      ['create shop/allow-web', 'replace shop/deny-all', 'delete-bypass shop', 'delete-bypass empty'],
    );
    const replace = r.plan.actions[1];
    assert.ok(replace?.type === 'restore');
    assert.deepEqual(replace.body, restorableBody(denyAll('shop'), 'shop'), 'the backup, not the live edit');
    assert.deepEqual(r.plan.gone, ['deleted']);
    assert.deepEqual(r.plan.drift[0]?.added, ['late']);
    const text = renderRevertPlan(r.plan);
    assert.match(text, /shop\/deny-all: changed \(spec\)/);
    assert.match(text, /left alone \(added after the backup, not netdoctor's\): shop\/late/);
  });

  it('has nothing to do once reverted (idempotent)', () => {
    const r = planRevert(
      backups,
      new Map([
        ['shop', [denyAll('shop'), allowWeb('shop')]],
        ['empty', []],
      ]),
    );
    assert.equal(r.status, 'planned');
    if (r.status !== 'planned') return;
    assert.deepEqual(r.plan.actions, []);
    assert.match(renderRevertPlan(r.plan), /Nothing to do/);
  });

  it('refuses to delete a policy of the bypass name that netdoctor did not create', () => {
    const r = planRevert(
      [{ namespace: 'shop', policies: [] }],
      new Map([['shop', [{ metadata: { name: BYPASS_NAME }, spec: { podSelector: {} } }]]]),
    );
    assert.equal(r.status, 'refused');
  });
});

describe('emergency bypass: reading a fix directory back', () => {
  let work: string;
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'ndt-emergency-'));
  });
  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  const record = {
    action: 'emergency-allow-all',
    version: 1,
    createdAt: NOW.toISOString(),
    server: SERVER,
    namespaces: [{ namespace: 'shop', policies: ['deny-all'] }],
  };

  async function fixDir(name: string, files: Record<string, string>): Promise<string> {
    const dir = join(work, name);
    await mkdir(join(dir, 'backups'), { recursive: true });
    for (const [f, text] of Object.entries(files)) await writeFile(join(dir, f), text);
    return dir;
  }

  async function refusal(dir: string): Promise<string> {
    const err = await readEmergencyFixDir(dir).then(
      () => assert.fail('accepted'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof NetdoctorError, String(err));
    assert.equal(err.exitCode, 2);
    return err.message;
  }

  it('reads the record and the exact backups', async () => {
    const dir = await fixDir('good', {
      'audit.jsonl': '',
      [RECORD_FILE]: JSON.stringify(record),
      [backupFile('shop', 'deny-all')]: JSON.stringify(denyAll('shop')),
    });
    const r = await readEmergencyFixDir(dir);
    assert.deepEqual(r.backups, [{ namespace: 'shop', policies: [denyAll('shop')] }]);
  });

  it('refuses a path that is missing, a file, not a fix dir, or a fix dir without a bypass', async () => {
    assert.match(await refusal(join(work, 'nope')), /does not exist/);
    await writeFile(join(work, 'file'), 'x');
    assert.match(await refusal(join(work, 'file')), /is not a directory/);
    await mkdir(join(work, 'plain'));
    assert.match(await refusal(join(work, 'plain')), /is not a netdoctor fix directory/);
    const ordinary = await fixDir('ordinary', { 'audit.jsonl': '', 'plan.json': '{}' });
    assert.match(await refusal(ordinary), /holds no emergency bypass/);
  });

  it('refuses a malformed record or a backup that is not the policy it names', async () => {
    const bad = await fixDir('bad-json', { 'audit.jsonl': '', [RECORD_FILE]: '{' });
    assert.match(await refusal(bad), /is not JSON/);
    const traversal = await fixDir('escape', {
      'audit.jsonl': '',
      [RECORD_FILE]: JSON.stringify({
        ...record,
        namespaces: [{ namespace: 'shop', policies: ['../../etc'] }],
      }),
    });
    assert.match(
      await refusal(traversal),
      /malformed: namespace shop: policies is not a list of policy names/,
    );
    const missing = await fixDir('missing-backup', {
      'audit.jsonl': '',
      [RECORD_FILE]: JSON.stringify(record),
    });
    assert.match(await refusal(missing), /cannot read the backup/);
    const other = await fixDir('other-backup', {
      'audit.jsonl': '',
      [RECORD_FILE]: JSON.stringify(record),
      [backupFile('shop', 'deny-all')]: JSON.stringify(allowWeb('shop')),
    });
    assert.match(await refusal(other), /holds shop\/allow-web/);
  });

  it('parses only records it wrote', () => {
    assert.ok('error' in parseEmergencyRecord({ ...record, version: 2 }));
    assert.ok('error' in parseEmergencyRecord({ ...record, action: 'other' }));
    assert.ok('error' in parseEmergencyRecord({ ...record, namespaces: [] }));
    assert.ok(
      'error' in parseEmergencyRecord({ ...record, namespaces: [{ namespace: 'a/b', policies: [] }] }),
    );
    assert.ok(
      'error' in
        parseEmergencyRecord({ ...record, namespaces: [{ namespace: 'a', policies: [BYPASS_NAME] }] }),
    );
    assert.deepEqual(parseEmergencyRecord(record), record);
  });
});
