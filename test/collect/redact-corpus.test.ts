/**
 * The redaction corpus, end to end: every shape of secret is planted in a container log, a
 * ConfigMap, a pod spec (args, as one string and as separate flag elements) and an event, a
 * real bundle is written, and every byte of every file written is searched for the secret.
 * Beside them, text that only looks close to a secret must come out unchanged.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BundleInput } from '../../src/collect/bundle/types.ts';
import { writeBundle } from '../../src/collect/bundle/write.ts';
import { emptyClusterState, type K8sPod } from '../../src/core/cluster-types.ts';
import { NOT_SECRETS, SECRET_SHAPES, type SecretShape } from '../fixtures/redact/secret-shapes.ts';

const NS = 'corpus';

function pod(name: string, args: string[]): K8sPod {
  return {
    metadata: { name, namespace: NS, uid: `uid-${name}` },
    spec: { nodeName: 'node-1', containers: [{ name: 'app', image: 'app:1', args }] },
    status: { phase: 'Running' },
  };
}

/** The four places each text goes, under names derived from `id`. */
function plant(input: BundleInput, id: string, text: string, args?: string[]): void {
  const c = input.cluster;
  c.logs[`${NS}/log-${id}/app`] = `2026-03-12T10:00:00Z ${text}\n`;
  c.configMaps.push({ metadata: { name: `cm-${id}`, namespace: NS }, data: { 'app.conf': text } });
  c.pods.push(pod(`pod-${id}`, args ?? ['sh', '-c', text]));
  c.events.push({
    metadata: { name: `ev-${id}`, namespace: NS },
    involvedObject: { kind: 'Pod', name: `pod-${id}`, namespace: NS },
    reason: 'Started',
    message: text,
    type: 'Normal',
  });
}

/** Every file under `dir`, bundle-relative, with its text. */
async function filesOf(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const path = join(e.parentPath, e.name);
    out.set(path.slice(dir.length + 1), await readFile(path, 'utf8'));
  }
  return out;
}

describe('the redaction corpus', () => {
  let work: string;
  let files: Map<string, string>;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'ndt-redact-corpus-'));
    const input: BundleInput = {
      meta: { createdAt: '2026-03-12T10:00:00Z', source: 'synthetic', netdoctorVersion: '0.0.0-test' },
      cluster: emptyClusterState(),
      nodes: {},
      gaps: [],
    };
    for (const s of SECRET_SHAPES) plant(input, s.id, s.text, s.args);
    NOT_SECRETS.forEach((text, i) => {
      plant(input, `plain-${i}`, text);
    });
    await writeBundle(join(work, 'bundle'), input);
    files = await filesOf(join(work, 'bundle'));
  });
  after(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('holds at least 60 shapes, each with a distinct id', () => {
    assert.ok(SECRET_SHAPES.length >= 60, `${SECRET_SHAPES.length} shapes`);
    assert.equal(new Set(SECRET_SHAPES.map((s) => s.id)).size, SECRET_SHAPES.length);
  });

  it('no secret survives in any file of the bundle, wherever it was planted', () => {
    const leaks: string[] = [];
    const check = (s: SecretShape): void => {
      for (const secret of s.secrets) {
        for (const [path, text] of files) {
          if (text.includes(secret)) leaks.push(`${s.id}: ${JSON.stringify(secret)} in ${path}`);
        }
      }
    };
    for (const s of SECRET_SHAPES) check(s);
    assert.deepEqual(leaks, [], `${leaks.length} leak(s):\n${leaks.join('\n')}`);
  });

  it('each shape was planted in a log, a ConfigMap, a pod spec and an event, and redacted in each', () => {
    const log = (id: string): string => files.get(`logs/${NS}/log-${id}/app.log`) ?? '';
    const json = (f: string): string => files.get(f) ?? '';
    const missing: string[] = [];
    for (const s of SECRET_SHAPES) {
      if (!log(s.id).includes('REDACTED')) missing.push(`${s.id}: log`);
      for (const [f, name] of [
        ['cluster/configmaps.json', `cm-${s.id}`],
        ['cluster/pods.json', `pod-${s.id}`],
        ['cluster/events.json', `ev-${s.id}`],
      ] as const) {
        const line = json(f)
          .split('\n')
          .find((l) => l.includes(`"${name}"`));
        if (!line?.includes('REDACTED')) missing.push(`${s.id}: ${f}`);
      }
    }
    assert.deepEqual(missing, []);
  });

  it('text that only looks close to a secret comes out unchanged in every place', () => {
    const changed: string[] = [];
    NOT_SECRETS.forEach((text, i) => {
      const log = files.get(`logs/${NS}/log-plain-${i}/app.log`) ?? '';
      if (!log.includes(text)) changed.push(`log: ${text}`);
      const escaped = JSON.stringify(text).slice(1, -1);
      for (const f of ['cluster/configmaps.json', 'cluster/pods.json', 'cluster/events.json']) {
        const line = (files.get(f) ?? '').split('\n').find((l) => l.includes(`-plain-${i}"`)) ?? '';
        if (!line.includes(escaped)) changed.push(`${f}: ${text}`);
      }
    });
    assert.deepEqual(changed, []);
  });
});
