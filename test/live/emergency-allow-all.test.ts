/**
 * The emergency NetworkPolicy bypass on the real lab, with real traffic. In a namespace of its
 * own, a web pod and a client pod; a deny-all policy and an allow-web policy that admits only
 * pods labelled role=friend (the client is not). The client's request to the web pod (curl
 * from the client, `kubectl exec`) must be blocked; `fix --emergency-allow-all NS
 * --non-interactive` (the CLI, as a subprocess) must make it pass without touching the two
 * policies; while the bypass is in, one policy is deleted and the other edited, as people do
 * during an outage; the printed revert command must bring both back and take the bypass away,
 * so the request is blocked again and `kubectl get networkpolicy -o json` equals what it was
 * before, byte for byte (canonical JSON of name, labels, annotations and spec). A second revert
 * does nothing. The namespace is deleted whatever happens. Skipped, with the reason, when the
 * lab is not running.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cli, kubectl, LAB_IMAGE, type LabInfo, labOrSkipReason, until } from './live-lab.ts';

const status = labOrSkipReason();
const skip = 'skip' in status ? status.skip : false;
const lab = ('lab' in status ? status.lab : undefined) as LabInfo;
const NS = `ndt-emergency-live-${process.pid}`;
const work = mkdtempSync(join(tmpdir(), 'ndt-emergency-live-'));
const PORT = 8080;
const BYPASS = 'netdoctor-emergency-allow-all';

function pod(name: string, labels: Record<string, string>, script: string): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: NS, labels },
    spec: {
      terminationGracePeriodSeconds: 0,
      enableServiceLinks: false,
      containers: [
        {
          name: 'main',
          image: LAB_IMAGE,
          imagePullPolicy: 'Never',
          command: ['sh', '-c', script],
          // Readiness from inside the pod: a kubelet probe would itself be subject to the policies.
          readinessProbe: { exec: { command: ['sh', '-c', 'test -e /tmp/ready'] }, periodSeconds: 1 },
        },
      ],
    },
  };
}

/** The two policies of the namespace, with labels and annotations so the comparison has some to compare. */
const POLICIES = [
  {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: {
      name: 'deny-all',
      namespace: NS,
      labels: { team: 'payments', tier: 'baseline' },
      annotations: { 'example.com/owner': 'security@example.com' },
    },
    spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
  },
  {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'allow-web', namespace: NS, labels: { team: 'payments' } },
    spec: {
      podSelector: { matchLabels: { app: 'web' } },
      policyTypes: ['Ingress'],
      ingress: [
        {
          from: [{ podSelector: { matchLabels: { role: 'friend' } } }],
          ports: [{ protocol: 'TCP', port: PORT }],
        },
      ],
    },
  },
];

/** JSON with sorted keys, written here rather than imported, so the test checks netdoctor's own. */
function canonical(value: unknown): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sort)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, sort((v as Record<string, unknown>)[k])]),
          )
        : v;
  return JSON.stringify(sort(value));
}

interface LivePolicy {
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: unknown;
}

const canonicalPolicy = (p: LivePolicy) =>
  canonical({
    name: p.metadata.name,
    labels: p.metadata.labels ?? {},
    annotations: p.metadata.annotations ?? {},
    spec: p.spec,
  });

/** `kubectl get networkpolicy -n NS -o json`, as name -> canonical JSON. */
function livePolicies(): Record<string, string> {
  const r = kubectl(lab, ['-n', NS, 'get', 'networkpolicy', '-o', 'json']);
  assert.ok(r.ok, r.err);
  const items = (JSON.parse(r.out) as { items: LivePolicy[] }).items;
  return Object.fromEntries(items.map((p) => [p.metadata.name, canonicalPolicy(p)]));
}

let webIp = '';
/** The client's HTTP request to the web pod: true when it got an answer. */
function passes(): boolean {
  const r = kubectl(lab, [
    '-n',
    NS,
    'exec',
    'client',
    '--',
    'curl',
    '-s',
    '-o',
    '/dev/null',
    '--connect-timeout',
    '2',
    '-m',
    '3',
    `http://${webIp}:${PORT}/`,
  ]);
  return r.ok;
}

/**
 * Waits until the probe gives `want` (kube-router programs a policy change within seconds),
 * then checks it still does a moment later, so a sync still running cannot fake the result.
 */
async function expectTraffic(want: boolean, what: string): Promise<void> {
  assert.ok(
    await until(() => passes() === want, 90_000, 1000),
    `${what}: not ${want ? 'passing' : 'blocked'} after 90 s`,
  );
  await new Promise((r) => setTimeout(r, 3000));
  assert.equal(passes(), want, `${what}: ${want ? 'passing' : 'blocked'}, then not`);
}

describe('fix --emergency-allow-all and --revert (live lab, real traffic)', {
  skip,
  concurrency: false,
  timeout: 900_000,
}, () => {
  before(() => {
    const ns = kubectl(lab, ['create', 'namespace', NS]);
    assert.ok(ns.ok, ns.err);
    const pods = {
      apiVersion: 'v1',
      kind: 'List',
      items: [
        pod(
          'web',
          { app: 'web' },
          `mkdir -p /tmp/www && echo web > /tmp/www/index.html && busybox httpd -p ${PORT} -h /tmp/www && touch /tmp/ready && exec sleep 2147483647`,
        ),
        pod('client', { app: 'client' }, 'touch /tmp/ready && exec sleep 2147483647'),
      ],
    };
    const created = kubectl(lab, ['apply', '-f', '-'], JSON.stringify(pods));
    assert.ok(created.ok, created.err);
    const ready = kubectl(lab, ['-n', NS, 'wait', '--for=condition=Ready', 'pod', '--all', '--timeout=50s']);
    assert.ok(ready.ok, `${ready.out}${ready.err}`);
    webIp = kubectl(lab, ['-n', NS, 'get', 'pod', 'web', '-o', 'jsonpath={.status.podIP}']).out.trim();
    assert.match(webIp, /^\d+\.\d+\.\d+\.\d+$/);
  });
  after(() => {
    kubectl(lab, ['delete', 'namespace', NS, '--wait=false', '--ignore-not-found']);
    rmSync(work, { recursive: true, force: true });
  });

  it('opens a namespace blocked by deny-all, then restores its policies exactly and the block with them', async (t) => {
    await expectTraffic(true, 'without policies (the web pod answers)');
    const applied = kubectl(
      lab,
      ['apply', '-f', '-'],
      JSON.stringify({ apiVersion: 'v1', kind: 'List', items: POLICIES }),
    );
    assert.ok(applied.ok, applied.err);
    await expectTraffic(false, 'with deny-all and allow-web (client is no friend)');
    const before = livePolicies();
    assert.deepEqual(Object.keys(before).sort(), ['allow-web', 'deny-all']);

    const fix = cli([
      'fix',
      '--emergency-allow-all',
      NS,
      '--non-interactive',
      '--kubeconfig',
      lab.kubeconfig,
      '--out',
      work,
    ]);
    assert.equal(fix.code, 0, `${fix.stdout}\n${fix.stderr}`);
    t.diagnostic(fix.stdout.trim().split('\n').slice(-3).join('\n'));
    const revertLine = /^revert with: (netdoctor fix --revert (\S+).*)$/m.exec(fix.stdout);
    assert.ok(revertLine, fix.stdout);
    const [, revertCommand, fixDir] = revertLine as unknown as [string, string, string];
    assert.match(fixDir, /\/fix-[0-9T-]+Z$/);

    // The backups are the two policies as they were, one file each, and the audit log is there.
    const backups = readdirSync(join(fixDir, 'backups')).sort();
    assert.equal(backups.length, 2, backups.join(', '));
    for (const f of backups) {
      const p = JSON.parse(readFileSync(join(fixDir, 'backups', f), 'utf8')) as LivePolicy;
      assert.equal(canonicalPolicy(p), before[p.metadata.name], `backup ${f}`);
    }
    assert.match(
      readFileSync(join(fixDir, 'audit.jsonl'), 'utf8'),
      /"event":"verify","outcome":\{"status":"verified"\}/,
    );

    await expectTraffic(true, 'with the bypass');
    const during = livePolicies();
    assert.ok(during[BYPASS], 'the bypass is there');
    delete during[BYPASS];
    assert.deepEqual(during, before, 'the bypass left the other policies untouched');

    // What happens in an outage: someone deletes one policy and edits the other.
    assert.ok(kubectl(lab, ['-n', NS, 'delete', 'networkpolicy', 'deny-all']).ok);
    assert.ok(
      kubectl(lab, ['-n', NS, 'annotate', 'networkpolicy', 'allow-web', 'note=edited-during-outage']).ok,
    );

    const args = revertCommand.split(' ').slice(1);
    assert.deepEqual(args.slice(0, 3), ['fix', '--revert', fixDir]);
    const revert = cli([...args, '--non-interactive']);
    assert.equal(revert.code, 0, `${revert.stdout}\n${revert.stderr}`);
    assert.match(revert.stdout, /created .*\/deny-all from the backup/);
    assert.match(revert.stdout, /replaced .*\/allow-web from the backup/);
    assert.match(revert.stdout, /deleted the bypass/);
    t.diagnostic(revert.stdout.trim().split('\n').slice(-1).join('\n'));

    await expectTraffic(false, 'after the revert');
    assert.deepEqual(livePolicies(), before, 'the policies equal the backup byte for byte, and no bypass');

    const again = cli([...args, '--non-interactive']);
    assert.equal(again.code, 0, `${again.stdout}\n${again.stderr}`);
    assert.match(again.stdout, /Nothing to do/);
    assert.deepEqual(livePolicies(), before);
  });
});
