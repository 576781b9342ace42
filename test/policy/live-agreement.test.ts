/**
 * The agreement suite against real enforcement: the suite's namespaces, pods and policies are
 * created in the lab cluster, every case is probed from its source pod, and each real verdict
 * (kube-router's) must equal `explainFlow`'s on a snapshot read from the same cluster, and the
 * frozen expectation. Runs only with NETDOCTOR_LAB=1 and the lab up (scripts/test.sh phase 2);
 * it creates and deletes only the suite's nd-* namespaces.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { KubePort, loadKubeConfig } from '../../src/cluster/kube-port.ts';
import { collectPolicySnapshot } from '../../src/collect/cluster/policy-snapshot.ts';
import { cidrContains } from '../../src/core/net/cidr.ts';
import { NET } from '../../src/lab/topology.ts';
import { loadVersions } from '../../src/lab/versions.ts';
import { explainFlow } from '../../src/policy/explain-flow.ts';
import type { DirectionVerdict, FlowExplanation } from '../../src/policy/flow-types.ts';
import { buildPolicyIndex } from '../../src/policy/policy-index.ts';
import { kc, paths } from '../lab/lab-checks.ts';
import { EXPECTED_ALLOWED } from './agreement-expected.ts';
import {
  list,
  namespaceManifests,
  podManifests,
  policyManifests,
  SUITE_NAMESPACE_NAMES,
} from './agreement-lab-objects.ts';
import { type ProbeOutcome, parseProbeOutput, probeScript, type RealVerdict } from './agreement-probe.ts';
import { type AgreementCase, materializePolicies, SUITE_PODS, suiteCases } from './agreement-suite.ts';

const skip =
  process.env['NETDOCTOR_LAB'] === '1'
    ? false
    : 'needs the lab cluster: run with NETDOCTOR_LAB=1 and the lab up (scripts/test.sh phase 2 does both)';

const cases = suiteCases();
const expectedAllowed = new Set(EXPECTED_ALLOWED);
const expected = (c: AgreementCase): RealVerdict => (expectedAllowed.has(c.id) ? 'allowed' : 'denied');

/**
 * Cases that show the policies are programmed: each isolates a different namespace or direction
 * and the last one depends on the last policy applied. Denied ones must become denied, allowed
 * ones (which need an egress and an ingress allow together) must stay allowed.
 */
const SENTINELS = [
  'nd-shop/web-0>nd-shop/api-0:7777/TCP',
  'nd-shop/cache-0>nd-mon/prom-0:9090/TCP',
  'nd-pay/db-0>nd-mon/prom-0:9090/TCP',
  'nd-mon/prom-0>nd-pay/db-0:5432/TCP',
  'nd-pay/gateway-0>nd-pay/db-0:5432/TCP',
  'nd-mon/prom-0>nd-pay/worker-0:9050/TCP',
  'nd-dev/web-0>nd-mon/prom-0:9090/TCP',
];

interface Exec {
  ok: boolean;
  out: string;
}

function kubectlAsync(args: string[], timeoutMs: number): Promise<Exec> {
  return new Promise((resolve) => {
    execFile(
      paths.kubectl,
      ['--kubeconfig', paths.kubeconfig, ...args],
      { timeout: timeoutMs, maxBuffer: 8 << 20 },
      (err, stdout, stderr) => resolve({ ok: !err, out: `${stdout}${stderr}` }),
    );
  });
}

function deleteSuiteNamespaces(): void {
  kc(['delete', 'namespace', ...SUITE_NAMESPACE_NAMES, '--ignore-not-found', '--wait=true'], 180_000);
}

/** `ns/name` -> pod IP, and where each pod runs. */
function readPods(): { ips: Record<string, string>; nodes: Record<string, string> } {
  const r = kc(['get', 'pods', '-A', '-o', 'json']);
  assert.ok(r.ok, r.out);
  const ips: Record<string, string> = {};
  const nodes: Record<string, string> = {};
  const items = (
    JSON.parse(r.out) as {
      items: {
        metadata: { namespace: string; name: string };
        spec: { nodeName?: string };
        status: { podIP?: string };
      }[];
    }
  ).items;
  for (const p of items) {
    const key = `${p.metadata.namespace}/${p.metadata.name}`;
    if (!SUITE_NAMESPACE_NAMES.includes(p.metadata.namespace)) continue;
    if (p.status.podIP) ips[key] = p.status.podIP;
    if (p.spec.nodeName) nodes[key] = p.spec.nodeName;
  }
  return { ips, nodes };
}

/** Probes `subset` from their source pods, all sources at once; throws when a probe gave no answer line. */
async function probeAll(
  subset: readonly AgreementCase[],
  ips: Record<string, string>,
): Promise<Map<string, ProbeOutcome>> {
  const bySource = new Map<string, AgreementCase[]>();
  for (const c of subset) {
    const l = bySource.get(c.from);
    if (l) l.push(c);
    else bySource.set(c.from, [c]);
  }
  const results = new Map<string, ProbeOutcome>();
  await Promise.all(
    [...bySource].map(async ([from, cs]) => {
      const [ns, name] = from.split('/') as [string, string];
      const script = probeScript(cs.map((c) => ({ c, ip: ips[c.to]! })));
      const r = await kubectlAsync(
        ['-n', ns, 'exec', name, '-c', 'listener', '--', 'sh', '-c', script],
        60_000,
      );
      const got = parseProbeOutput(r.out);
      const missing = cs.filter((c) => !got.has(c.id)).map((c) => c.id);
      if (missing.length > 0)
        throw new Error(
          `exec in ${from} gave no result for ${missing.length} case(s): ${r.out.slice(0, 500)}`,
        );
      for (const [id, o] of got) results.set(id, o);
    }),
  );
  return results;
}

function describeDirection(d: DirectionVerdict): string {
  if (d.verdict === 'allowed' && d.reason === 'rule-allows')
    return `allowed by ${d.by.map((r) => `${r.policy.namespace}/${r.policy.name}#${r.direction}[${r.rule}]`).join(', ')}`;
  if (d.verdict === 'allowed') return `allowed (${d.reason})`;
  return `denied, isolated by ${d.isolatingPolicies.map((p) => `${p.namespace}/${p.name}`).join(', ')}`;
}

function deciding(e: FlowExplanation): string {
  if (e.kind !== 'direct') return `${e.kind} ${e.verdict}`;
  return `egress ${describeDirection(e.egress)}; ingress ${describeDirection(e.ingress)}`;
}

/** This checkout's CLI. */
function cli(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['src/cli/main.ts', ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('NetworkPolicy agreement: evaluator vs kube-router in the lab', { skip, concurrency: false }, () => {
  const started = Date.now();
  let ips: Record<string, string> = {};
  let podNodes: Record<string, string> = {};
  /** The real verdicts with the suite policies in force, for the CLI checks after them. */
  let real = new Map<string, ProbeOutcome>();

  before(async () => {
    // A run that crashed may have left the namespaces: start from nothing.
    deleteSuiteNamespaces();
    const nodes = kc(['get', 'nodes', '-o', 'jsonpath={.items[*].metadata.name}'])
      .out.trim()
      .split(/\s+/)
      .sort();
    assert.ok(nodes.length >= 2, `nodes: ${nodes.join(', ')}`);
    const versions = loadVersions();
    const nsApplied = kc(['apply', '-f', '-'], 60_000, JSON.stringify(list(namespaceManifests())));
    assert.ok(nsApplied.ok, nsApplied.out);
    const podsApplied = kc(['apply', '-f', '-'], 60_000, JSON.stringify(list(podManifests(nodes, versions))));
    assert.ok(podsApplied.ok, podsApplied.out);
    for (const ns of SUITE_NAMESPACE_NAMES) {
      const w = kc(['-n', ns, 'wait', '--for=condition=Ready', 'pod', '--all', '--timeout=120s'], 150_000);
      assert.ok(w.ok, `pods of ${ns} not ready: ${w.out}`);
    }
    ({ ips, nodes: podNodes } = readPods());
    for (const p of SUITE_PODS) {
      const ip = ips[`${p.namespace}/${p.name}`];
      assert.ok(ip, `no IP for ${p.namespace}/${p.name}`);
      // The frozen verdicts assume every pod IP lies in the pod CIDR the ipBlock policy names.
      assert.ok(cidrContains(NET.podCidr, ip), `${ip} outside ${NET.podCidr}`);
    }
  });

  after(() => {
    deleteSuiteNamespaces();
  });

  it('without policies every case connects (listeners up, probes work)', async (t) => {
    const results = await probeAll(cases, ips);
    const failed = cases.filter((c) => results.get(c.id)?.verdict !== 'allowed');
    const cross = cases.filter((c) => podNodes[c.from] !== podNodes[c.to]).length;
    t.diagnostic(
      `${cases.length} cases (${cross} cross-node), no policies: ${cases.length - failed.length} connected`,
    );
    assert.deepEqual(
      failed.map((c) => `${c.id} exit ${results.get(c.id)?.exit}`),
      [],
      'every listener must answer before policies are applied',
    );
  });

  it('with the suite policies, kube-router agrees with the evaluator and the frozen verdicts', async (t) => {
    const policies = materializePolicies({ podCidr: NET.podCidr, podIps: ips });
    const applied = kc(['apply', '-f', '-'], 60_000, JSON.stringify(list(policyManifests(policies))));
    assert.ok(applied.ok, applied.out);

    const sentinelCases = cases.filter((c) => SENTINELS.includes(c.id));
    assert.equal(sentinelCases.length, SENTINELS.length);
    const deadline = Date.now() + 90_000;
    for (;;) {
      const s = await probeAll(sentinelCases, ips);
      const pending = sentinelCases.filter((c) => s.get(c.id)?.verdict !== expected(c));
      if (pending.length === 0) break;
      if (Date.now() > deadline)
        assert.fail(`policies not programmed after 90 s: ${pending.map((c) => c.id).join(', ')}`);
      await sleep(1000);
    }
    // kube-router programs all policies in one sync; a moment more covers a sync still running.
    await sleep(3000);

    const probeStart = Date.now();
    real = await probeAll(cases, ips);
    const probeSeconds = (Date.now() - probeStart) / 1000;

    // The evaluator reads the same cluster the way `netdoctor policy` does in live mode.
    const snapshot = await collectPolicySnapshot(
      new KubePort(loadKubeConfig({ kubeconfig: paths.kubeconfig })),
    );
    const index = buildPolicyIndex(snapshot);

    const disagreements: string[] = [];
    for (const c of cases) {
      const [fn, fp] = c.from.split('/') as [string, string];
      const [tn, tp] = c.to.split('/') as [string, string];
      const e = explainFlow(index, {
        from: { kind: 'pod', namespace: fn, name: fp },
        to: { kind: 'pod', namespace: tn, name: tp },
        port: c.port,
        protocol: c.protocol,
      });
      const r = real.get(c.id)!;
      if (r.verdict !== e.verdict || r.verdict !== expected(c)) {
        disagreements.push(
          `${c.id}: real ${r.verdict} (exit ${r.exit}), evaluator ${e.verdict}, frozen ${expected(c)}; ${deciding(e)}`,
        );
      }
    }
    const seconds = ((Date.now() - started) / 1000).toFixed(0);
    t.diagnostic(
      `agreement: ${cases.length} cases, ${cases.length - disagreements.length} agreed, ` +
        `${disagreements.length} disagreed; probing took ${probeSeconds.toFixed(1)} s, the suite so far ${seconds} s`,
    );
    assert.deepEqual(
      disagreements,
      [],
      `kube-router and the evaluator disagree:\n${disagreements.join('\n')}`,
    );
  });
  it('`policy explain` in live mode (no --bundle) gives the verdict the cluster enforces', (t) => {
    // An ingress rule with `from` peers (allowed and denied), and a UDP port.
    const picks = [
      'nd-shop/web-0>nd-shop/api-0:9000/TCP',
      'nd-dev/web-0>nd-shop/api-0:9000/TCP',
      'nd-shop/web-1>nd-shop/api-0:8125/UDP',
      'nd-mon/prom-0>nd-shop/api-0:8125/UDP',
    ];
    for (const id of picks) {
      const c = cases.find((x) => x.id === id);
      const r = real.get(id);
      assert.ok(c && r, `${id} was probed`);
      const out = cli([
        'policy',
        'explain',
        '--from',
        c.from,
        '--to',
        c.to,
        '--port',
        `${c.port}/${c.protocol}`,
        '--kubeconfig',
        paths.kubeconfig,
        '-o',
        'json',
      ]);
      assert.equal(out.code, r.verdict === 'allowed' ? 0 : 1, `${id}: exit ${out.code}; ${out.stderr}`);
      const e = JSON.parse(out.stdout) as FlowExplanation;
      assert.equal(e.verdict, r.verdict, id);
      t.diagnostic(`policy explain ${id}: ${e.verdict}, probed ${r.verdict}`);
    }
  });

  it('`policy lint` in live mode as a ServiceAccount without rights: forbidden, exit 3', () => {
    const ns = 'nd-dev';
    const sa = kc(['-n', ns, 'create', 'serviceaccount', 'no-rights']);
    assert.ok(sa.ok, sa.out);
    const token = kc(['-n', ns, 'create', 'token', 'no-rights', '--duration', '10m']);
    assert.ok(token.ok, token.out);
    const admin = parseYaml(readFileSync(paths.kubeconfig, 'utf8')) as {
      clusters: { name: string; cluster: Record<string, string> }[];
    };
    const dir = mkdtempSync(join(tmpdir(), 'ndt-agreement-'));
    try {
      const kubeconfig = join(dir, 'no-rights.kubeconfig');
      writeFileSync(
        kubeconfig,
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Config',
          clusters: [{ name: 'lab', cluster: admin.clusters[0]!.cluster }],
          users: [{ name: 'no-rights', user: { token: token.out.trim() } }],
          contexts: [{ name: 'no-rights@lab', context: { cluster: 'lab', user: 'no-rights' } }],
          'current-context': 'no-rights@lab',
        }),
      );
      const out = cli(['policy', 'lint', '--kubeconfig', kubeconfig]);
      assert.equal(out.code, 3, out.stderr);
      assert.match(out.stderr, /cannot list \w+ .*\(forbidden\)/);
      assert.match(out.stderr, /kubectl auth can-i list/);
      assert.equal(out.stdout, '');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
