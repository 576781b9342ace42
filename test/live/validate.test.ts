/**
 * `netdoctor validate` through the CLI against the live lab: the healthy lab passes every check
 * (exit 0, JUnit well formed), and with flannel stalled on ndlab-node2 the cross-node checks
 * from and to node2 fail (exit 1) while node1 <-> node3 still pass. Skipped, with the reason,
 * when the lab is not running. Injects a fault, so run the live suites one file at a time:
 * `node --test --test-concurrency=1 test/live/`. The fault is healed in `after`, always.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Check, ValidationResult } from '../../src/remediate/validate.ts';
import { cli, kubectl, LAB_IMAGE, type LabInfo, labFault, labOrSkipReason, ownedPods } from './live-lab.ts';

const status = labOrSkipReason();
const skip = 'skip' in status ? status.skip : false;
const lab = ('lab' in status ? status.lab : undefined) as LabInfo;
const NS = `ndt-validate-live-${process.pid}`;
const BROKEN = 'ndlab-node2';

function validate(extra: string[] = []): { code: number | null; stdout: string; stderr: string } {
  return cli([
    'validate',
    '--kubeconfig',
    lab.kubeconfig,
    '--probe-image',
    LAB_IMAGE,
    '--probe-namespace',
    NS,
    '--external-name',
    'www.outside.test',
    '--external-target',
    'http://www.outside.test/',
    ...extra,
  ]);
}

/** Tag balance and attribute quoting: enough to say a CI parser will read it. */
function assertWellFormedXml(xml: string): void {
  assert.ok(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n'));
  const stack: string[] = [];
  const tag = /<(\/?)([A-Za-z][\w.-]*)((?:\s+[\w:.-]+="[^"<]*")*)\s*(\/?)>/g;
  const body = xml.replace(/^<\?xml[^>]*\?>\n/, '');
  let last = 0;
  for (let m = tag.exec(body); m !== null; m = tag.exec(body)) {
    assert.ok(!/[<>]/.test(body.slice(last, m.index)), `stray markup before ${m[0]}`);
    last = m.index + m[0].length;
    const [, close, name, , self] = m;
    if (self) continue;
    if (close) assert.equal(stack.pop(), name, `closing ${name}`);
    else stack.push(name as string);
  }
  assert.ok(!/[<>]/.test(body.slice(last)), 'stray markup at the end');
  assert.deepEqual(stack, [], 'every element closed');
}

const crossNode = (c: Check) => /^(\S+) -> (\S+)$/.exec(c.name);

describe('netdoctor validate against the live lab', { skip, concurrency: false, timeout: 900_000 }, () => {
  before(() => {
    const r = kubectl(lab, ['create', 'namespace', NS]);
    assert.ok(r.ok, r.err);
  });
  after(() => {
    // Always: heal whatever the fault test injected, then drop the namespace.
    try {
      labFault(['heal']);
    } finally {
      kubectl(lab, ['delete', 'namespace', NS, '--wait=false', '--ignore-not-found']);
    }
  });

  it('healthy lab: every check passes, exit 0, JSON and JUnit agree', (t) => {
    const json = validate(['-o', 'json']);
    assert.equal(json.code, 0, `${json.stdout}\n${json.stderr}`);
    const v = JSON.parse(json.stdout) as ValidationResult;
    assert.equal(v.passed, true);
    assert.deepEqual(
      v.checks.filter((c) => c.status !== 'pass').map((c) => `${c.group} ${c.name}: ${c.status} ${c.detail}`),
      [],
    );
    const groups = new Set(v.checks.map((c) => c.group));
    for (const g of [
      'component-health',
      'pod-to-pod-ping',
      'pod-to-pod-http',
      'dns-cluster',
      'dns-external',
      'external',
      'service-clusterip',
      'service-nodeport',
    ])
      assert.ok(groups.has(g as Check['group']), `group ${g} ran`);
    const n = lab.nodes.length;
    assert.equal(
      v.checks.filter((c) => c.group === 'pod-to-pod-ping').length,
      n * n,
      'every ordered node pair',
    );
    assert.equal(
      v.checks.filter((c) => c.group === 'service-nodeport').length,
      n * n,
      'NodePort on every node',
    );
    t.diagnostic(`${v.checks.length} checks in ${(v.durationMs / 1000).toFixed(1)} s`);

    const junit = validate(['-o', 'junit']);
    assert.equal(junit.code, 0, junit.stderr);
    assertWellFormedXml(junit.stdout);
    const suites = junit.stdout.match(/<testsuite /g) ?? [];
    assert.equal(suites.length, groups.size, 'one testsuite per check group');
    assert.match(junit.stdout, /<testsuites name="netdoctor validate" tests="\d+" failures="0" errors="0"/);
    assert.equal(ownedPods(lab).filter((p) => p.startsWith(`${NS}/`)).length, 0, 'no probe pod left');
  });

  it('app check --target: HTTP to a demo web pod from every node', () => {
    const pods = kubectl(lab, [
      'get',
      'pods',
      '-n',
      'demo',
      '-l',
      'app=web',
      '-o',
      'jsonpath={.items[0].metadata.name}',
    ]);
    assert.ok(pods.ok && pods.out, pods.err);
    const port = kubectl(lab, [
      'get',
      'pods',
      '-n',
      'demo',
      pods.out,
      '-o',
      'jsonpath={.spec.containers[0].ports[0].containerPort}',
    ]);
    const target = `demo/${pods.out}:${port.out || '80'}`;
    const r = validate(['-o', 'json', '--target', target]);
    const v = JSON.parse(r.stdout) as ValidationResult;
    const app = v.checks.filter((c) => c.group === 'app');
    assert.equal(app.length, lab.nodes.length, JSON.stringify(app));
    assert.ok(
      app.every((c) => c.status === 'pass'),
      JSON.stringify(app),
    );
    assert.equal(r.code, 0);
    const missing = validate(['-o', 'json', '--target', 'demo/no-such-pod:80']);
    assert.equal(missing.code, 1);
    const mv = JSON.parse(missing.stdout) as ValidationResult;
    assert.ok(
      mv.checks.some((c) => c.group === 'app' && c.status !== 'pass' && /not found/.test(c.detail ?? '')),
    );
  });

  it(`flannel stalled on ${BROKEN}: cross-node checks from and to it fail, exit 1`, (t) => {
    labFault(['break', 'flannel-agent-stalled', '--node', BROKEN]);
    const r = validate(['-o', 'json']);
    assert.equal(r.code, 1, r.stderr);
    const v = JSON.parse(r.stdout) as ValidationResult;
    assert.equal(v.passed, false);
    for (const group of ['pod-to-pod-ping', 'pod-to-pod-http'] as const) {
      for (const c of v.checks.filter((x) => x.group === group)) {
        const m = crossNode(c);
        assert.ok(m, c.name);
        const [, from, to] = m;
        const touches = (from === BROKEN || to === BROKEN) && from !== to;
        if (touches) assert.equal(c.status, 'fail', `${group} ${c.name} should fail: ${c.detail}`);
        else assert.equal(c.status, 'pass', `${group} ${c.name} should pass: ${c.detail}`);
      }
    }
    const text = validate();
    assert.equal(text.code, 1);
    assert.match(text.stdout, new RegExp(`✗ ${BROKEN} -> \\S+: `));
    assert.match(text.stdout, /validation FAILED/);
    t.diagnostic(
      text.stdout
        .split('\n')
        .filter((l) => l.includes('✗'))
        .slice(0, 8)
        .join('\n'),
    );
  });
});
