/**
 * The emergency bypass end to end against NetworkPolicies held in memory (no API server runs in
 * phase 1; test/live/emergency-allow-all.test.ts runs the same against the lab with real
 * traffic): apply writes exact backups and the audit log before its change and verifies; revert
 * restores what drifted, deletes the bypass, verifies, and is idempotent; failures roll back.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { NetdoctorError } from '../../src/core/errors.ts';
import { applyEmergency } from '../../src/remediate/emergency/apply.ts';
import { BYPASS_NAME } from '../../src/remediate/emergency/bypass-policy.ts';
import { backupFile, RECORD_FILE } from '../../src/remediate/emergency/fix-dir.ts';
import { readLivePolicies } from '../../src/remediate/emergency/live.ts';
import { type EmergencyPlan, planEmergency } from '../../src/remediate/emergency/plan.ts';
import { canonicalPolicy } from '../../src/remediate/emergency/policy-canon.ts';
import { revertEmergency } from '../../src/remediate/emergency/revert.ts';
import { allowWeb, denyAll, type MemoryPort, memoryPort } from './emergency-fixtures.ts';

let work: string;
let n = 0;

async function planFor(port: MemoryPort, namespaces: string[]): Promise<EmergencyPlan> {
  const { existing, live } = await readLivePolicies(port, namespaces);
  const fixDir = join(work, `fix-${++n}`);
  const r = planEmergency({
    namespaces,
    existing,
    live,
    fixDir,
    revertCommand: `netdoctor fix --revert ${fixDir}`,
    server: port.target.server,
    now: new Date('2026-12-05T12:30:00Z'),
  });
  assert.equal(r.status, 'planned');
  return (r as { plan: EmergencyPlan }).plan;
}

const quiet = { out: () => {}, nonInteractive: true };
const canon = (port: MemoryPort, ns: string) =>
  [...(port.policies.get(ns)?.values() ?? [])].map(canonicalPolicy).sort();

async function rejection(p: Promise<unknown>): Promise<NetdoctorError> {
  const err = await p.then(
    () => assert.fail('resolved'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof NetdoctorError, String(err));
  return err;
}

describe('emergency bypass against an in-memory API', () => {
  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'ndt-emergency-flow-'));
  });
  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('backs up exactly, adds the bypass leaving the policies untouched, and reverts to the backup byte for byte', async () => {
    const port = memoryPort({ shop: [denyAll('shop'), allowWeb('shop')], empty: [] });
    const before = canon(port, 'shop');
    const plan = await planFor(port, ['shop', 'empty']);
    const out: string[] = [];
    const r = await applyEmergency(port, plan, { out: (s) => out.push(s), nonInteractive: true });
    assert.equal(r.status, 'applied');
    assert.deepEqual(port.calls, [`create shop/${BYPASS_NAME}`, `create empty/${BYPASS_NAME}`]);
    assert.equal(port.policies.get('shop')?.get('deny-all')?.metadata['uid'], 'u-1', 'untouched');
    assert.match(out.join(''), /verified: the bypass is in place in shop, empty, and their 2 other policy/);

    // The backups are the objects exactly as listed, server fields included.
    const saved = JSON.parse(await readFile(join(plan.fixDir, backupFile('shop', 'deny-all')), 'utf8'));
    assert.deepEqual(saved, denyAll('shop'));
    const record = JSON.parse(await readFile(join(plan.fixDir, RECORD_FILE), 'utf8'));
    assert.deepEqual(record.namespaces, [
      { namespace: 'shop', policies: ['allow-web', 'deny-all'] },
      { namespace: 'empty', policies: [] },
    ]);
    const events = (await readFile(join(plan.fixDir, 'audit.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l).event);
    assert.deepEqual(events, ['backup', 'backup', 'planned', 'applied', 'applied', 'verify']);

    // During the outage: one policy edited, one deleted, one added by someone.
    const shop = port.policies.get('shop');
    assert.ok(shop);
    const edited = structuredClone(shop.get('deny-all')!);
    edited.spec['policyTypes'] = ['Ingress'];
    edited.metadata.labels = { team: 'someone-else' };
    shop.set('deny-all', edited);
    shop.delete('allow-web');
    shop.set('late', { ...allowWeb('shop'), metadata: { name: 'late', namespace: 'shop' } });
    port.calls.length = 0;

    const rv = await revertEmergency(port, plan.fixDir, { ...quiet, dryRun: false });
    assert.deepEqual(rv, { status: 'reverted', changed: 4, leftAlone: ['shop/late'] });
    assert.deepEqual(port.calls, [
      'create shop/allow-web',
      'delete shop/deny-all',
      'create shop/deny-all',
      `delete shop/${BYPASS_NAME}`,
      `delete empty/${BYPASS_NAME}`,
    ]);
    port.policies.get('shop')?.delete('late');
    assert.deepEqual(canon(port, 'shop'), before, 'name, labels, annotations and spec as backed up');
    assert.deepEqual(canon(port, 'empty'), []);

    port.calls.length = 0;
    const again = await revertEmergency(port, plan.fixDir, { ...quiet, dryRun: false });
    assert.deepEqual(again, { status: 'reverted', changed: 0, leftAlone: [] });
    assert.deepEqual(port.calls, [], 'a second revert changes nothing');
  });

  it('a dry-run revert and a declined one change nothing', async () => {
    const port = memoryPort({ shop: [denyAll('shop')] });
    const plan = await planFor(port, ['shop']);
    await applyEmergency(port, plan, quiet);
    port.calls.length = 0;
    const out: string[] = [];
    const dry = await revertEmergency(port, plan.fixDir, {
      out: (s) => out.push(s),
      nonInteractive: true,
      dryRun: true,
    });
    assert.equal(dry.status, 'dry-run');
    assert.match(out.join(''), /delete NetworkPolicy shop\/netdoctor-emergency-allow-all \(the bypass\)/);
    const declined = await revertEmergency(port, plan.fixDir, {
      ...quiet,
      nonInteractive: false,
      confirm: async () => false,
      dryRun: false,
    });
    assert.equal(declined.status, 'declined');
    assert.deepEqual(port.calls, []);
  });

  it('a declined bypass changes nothing and writes nothing', async () => {
    const port = memoryPort({ shop: [denyAll('shop')] });
    const plan = await planFor(port, ['shop']);
    const r = await applyEmergency(port, plan, {
      ...quiet,
      nonInteractive: false,
      confirm: async () => false,
    });
    assert.equal(r.status, 'declined');
    assert.deepEqual(port.calls, []);
    await assert.rejects(stat(plan.fixDir));
  });

  it('refuses, before any change, when the policies moved since the plan', async () => {
    const port = memoryPort({ shop: [denyAll('shop')] });
    const plan = await planFor(port, ['shop']);
    port.policies.get('shop')?.set('allow-web', allowWeb('shop'));
    const err = await rejection(applyEmergency(port, plan, quiet));
    assert.equal(err.exitCode, 4);
    assert.match(
      err.message,
      /changed since the plan; nothing was changed:\n {2}shop\/allow-web: added after the backup/,
    );
    assert.deepEqual(port.calls, []);
    await assert.rejects(stat(plan.fixDir));
  });

  it('rolls back the bypasses it created when a later one fails (exit 4)', async () => {
    const port = memoryPort({ a: [], b: [] });
    const plan = await planFor(port, ['a', 'b']);
    let created = 0;
    const create = port.createObject.bind(port);
    port.createObject = async (kind, ns, body) => {
      if (++created === 2) throw new Error('HTTP 500: boom');
      return create(kind, ns, body);
    };
    const err = await rejection(applyEmergency(port, plan, quiet));
    assert.equal(err.exitCode, 4);
    assert.match(
      err.message,
      /creating b\/netdoctor-emergency-allow-all failed: HTTP 500: boom; rolled back: deleted a\//,
    );
    assert.deepEqual(canon(port, 'a'), []);
    const audit = await readFile(join(plan.fixDir, 'audit.jsonl'), 'utf8');
    assert.match(audit, /"event":"rollback"/);
  });

  it('refuses to revert against another cluster than the one it was made on', async () => {
    const port = memoryPort({ shop: [] });
    const plan = await planFor(port, ['shop']);
    await applyEmergency(port, plan, quiet);
    const other = memoryPort({ shop: [] });
    Object.assign(other, { target: { server: 'https://elsewhere:6443' } });
    const err = await rejection(revertEmergency(other, plan.fixDir, { ...quiet, dryRun: false }));
    assert.equal(err.exitCode, 2);
    assert.match(err.message, /was made on https:\/\/10\.0\.0\.1:6443/);
  });
});
