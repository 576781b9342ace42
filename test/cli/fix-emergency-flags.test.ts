/**
 * `fix --emergency-allow-all` and `fix --revert` from the command line, where no cluster is
 * needed: flag combinations they refuse, and fix directories `--revert` refuses before it
 * talks to any cluster (the kubeconfig points at a closed port), all with exit 2.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { conflictingFlags } from '../../src/cli/commands/fix-emergency.ts';
import { runCli } from '../support/run-cli.ts';

const KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
- name: closed
  cluster:
    server: https://127.0.0.1:1
    insecure-skip-tls-verify: true
users:
- name: u
  user:
    token: not-a-real-token
contexts:
- name: c
  context: { cluster: closed, user: u }
current-context: c
`;

describe('fix --emergency-allow-all / --revert flags', () => {
  let work: string;
  let kubeconfig: string;
  const fix = (...args: string[]) =>
    runCli(['fix', '--kubeconfig', kubeconfig, ...args], { timeoutMs: 30_000 });

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'ndt-emergency-cli-'));
    kubeconfig = join(work, 'kubeconfig');
    await writeFile(kubeconfig, KUBECONFIG);
  });
  after(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('names the flags that do not go with them', () => {
    assert.deepEqual(conflictingFlags({ emergencyAllowAll: ['a'] }), []);
    assert.deepEqual(conflictingFlags({ emergencyAllowAll: ['a'], bundle: 'b' }), []);
    assert.deepEqual(conflictingFlags({ emergencyAllowAll: ['a'], revert: 'd', force: true }), [
      '--emergency-allow-all with --revert',
      '--force',
    ]);
    assert.deepEqual(conflictingFlags({ revert: 'd', out: 'o', only: ['x'] }), ['--only', '--out']);
  });

  it('refuses --emergency-allow-all with --revert, or with a repair flag, with exit 2', () => {
    const both = fix('--emergency-allow-all', 'shop', '--revert', work);
    assert.equal(both.status, 2, both.stderr);
    assert.match(both.stderr, /run alone .*drop --emergency-allow-all with --revert/);
    const consent = fix('--emergency-allow-all', 'shop', '--allow-firewall-change');
    assert.equal(consent.status, 2, consent.stderr);
    assert.match(consent.stderr, /drop --allow-firewall-change/);
  });

  it('refuses a --revert directory that is missing, not a fix dir, or holds no bypass, before the cluster', async () => {
    const missing = fix('--revert', join(work, 'nope'));
    assert.equal(missing.status, 2, missing.stderr);
    assert.match(missing.stderr, /--revert: .*nope does not exist/);

    await mkdir(join(work, 'plain'));
    const plain = fix('--revert', join(work, 'plain'));
    assert.equal(plain.status, 2, plain.stderr);
    assert.match(plain.stderr, /is not a netdoctor fix directory/);

    const ordinary = join(work, 'fix-2026-12-05T12-00-00-000Z');
    await mkdir(join(ordinary, 'backups'), { recursive: true });
    await writeFile(join(ordinary, 'audit.jsonl'), '');
    const r = fix('--revert', ordinary, '--non-interactive');
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /holds no emergency bypass/);
    assert.doesNotMatch(r.stderr, /127\.0\.0\.1/, 'refused before any API call');
  });

  it('takes several namespaces, listed or repeated, and checks them against the cluster', () => {
    // The closed port answers nothing: reaching it (exit 3) shows both spellings parsed.
    const r = fix('--emergency-allow-all', 'a', 'b', '--emergency-allow-all', 'c', '--dry-run');
    assert.equal(r.status, 3, r.stderr);
    assert.match(r.stderr, /cannot list namespaces on https:\/\/127\.0\.0\.1:1/);
  });
});
