import assert from 'node:assert/strict';
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { analyze } from '../../src/analyze/engine.ts';
import { STEP } from '../../src/analyze/remediation.ts';
import { packBundle } from '../../src/collect/bundle/archive.ts';
import { readBundle } from '../../src/collect/bundle/read.ts';
import type { K8sPod } from '../../src/core/cluster-types.ts';
import { NetdoctorError } from '../../src/core/errors.ts';
import type { Snapshot } from '../../src/core/model.ts';
import { EXAMPLES_DIR } from '../../src/examples/catalog.ts';
import { loadManifest } from '../../src/remediate/manifest-source.ts';
import { type Plan, planRepairs } from '../../src/remediate/planner.ts';
import { renderPlan } from '../../src/remediate/render-plan.ts';
import { DEFAULT_OPTIONS, PHASES, type RepairOptions } from '../../src/remediate/step.ts';
import { STEPS } from '../../src/remediate/steps/index.ts';
import { intendedMode } from '../../src/remediate/steps/restart-kube-proxy.ts';
import { listedFiles } from '../support/listed-files.ts';

async function planFor(id: string, options: Partial<RepairOptions> = {}): Promise<Plan> {
  return planSnapshot(await readBundle(join(EXAMPLES_DIR, id)), options);
}

function planSnapshot(snapshot: Snapshot, options: Partial<RepairOptions> = {}): Plan {
  return planRepairs({ report: analyze(snapshot), snapshot, options: { ...DEFAULT_OPTIONS, ...options } });
}

describe('repair planner over the recorded examples', () => {
  it('healthy: plans nothing', async () => {
    const plan = await planFor('healthy');
    assert.deepEqual(plan.steps, []);
    assert.deepEqual(plan.skipped, []);
    assert.equal(plan.validate, false);
  });

  it('flannel-agent-stalled: restarts the flannel pod on ndlab-node2 only', async () => {
    const plan = await planFor('flannel-agent-stalled');
    assert.deepEqual(
      plan.steps.map((s) => s.step),
      ['restart-cni-agent'],
    );
    const s = plan.steps[0];
    assert.ok(s);
    assert.deepEqual(
      s.objectChanges.map((o) => `${o.action} ${o.kind} ${o.namespace}`),
      ['delete Pod kube-flannel'],
    );
    assert.deepEqual((s.params['target'] as { nodes: string[] }).nodes, ['ndlab-node2']);
    assert.equal(s.addresses[0]?.category, 'cni.agent-stalled');
  });

  it('ip-forward-disabled: a sysctl on ndlab-node2 only', async () => {
    const plan = await planFor('ip-forward-disabled');
    assert.deepEqual(
      plan.steps.map((s) => s.step),
      ['enable-ip-forward'],
    );
    assert.deepEqual(
      plan.steps[0]?.nodeCommands.map((c) => c.node),
      ['ndlab-node2'],
    );
    assert.match(plan.steps[0]?.nodeCommands[0]?.argv.join(' ') ?? '', /ip_forward/);
  });

  it('cni-bridge-wrong-address: the bridge reset on ndlab-node2 to its pod-subnet gateway', async () => {
    const plan = await planFor('cni-bridge-wrong-address');
    assert.deepEqual(
      plan.steps.map((s) => s.step),
      ['reset-cni-bridge'],
    );
    assert.deepEqual(plan.steps[0]?.params['targets'], { 'ndlab-node2': '10.244.1.1/24' });
    // Then the pods on node2's pod network are recreated by their controllers; netdoctor's own
    // pods and host-network pods (flannel, kube-proxy) are not touched.
    const s = plan.steps[0];
    assert.ok(s);
    const snapshot = await readBundle(join(EXAMPLES_DIR, 'cni-bridge-wrong-address'));
    const expected = snapshot.cluster.pods
      .filter(
        (p) =>
          p.spec.nodeName === 'ndlab-node2' &&
          !p.spec.hostNetwork &&
          p.metadata.ownerReferences?.length &&
          p.metadata.labels?.['app.kubernetes.io/managed-by'] !== 'netdoctor',
      )
      .map((p) => `delete Pod ${p.metadata.namespace}/${p.metadata.name}`)
      .sort();
    assert.ok(expected.length > 0);
    assert.deepEqual(
      s.objectChanges.map((o) => `${o.action} ${o.kind} ${o.namespace}/${o.name}`).sort(),
      expected,
    );
    assert.ok(s.objectChanges.every((o) => !/flannel|kube-proxy/.test(o.name)));
  });

  it('cni-bridge-wrong-address: a bare pod on the node is recreated only with --recreate-bare-pods', async () => {
    const snapshot = await readBundle(join(EXAMPLES_DIR, 'cni-bridge-wrong-address'));
    const bare: K8sPod = {
      metadata: { name: 'debug', namespace: 'default', uid: 'u-debug' },
      spec: { nodeName: 'ndlab-node2', containers: [{ name: 'c' }] },
      status: { phase: 'Running' },
    };
    snapshot.cluster.pods.push(bare);
    const without = planSnapshot(snapshot).steps[0];
    assert.ok(without && !without.objectChanges.some((o) => o.name === 'debug'));
    assert.ok(without.notes.some((n) => /default\/debug.*--recreate-bare-pods/.test(n)));
    const withConsent = planSnapshot(snapshot, { recreateBarePods: true }).steps[0];
    assert.ok(
      withConsent?.objectChanges.some((o) => o.name === 'debug' && /from its own spec/.test(o.after)),
    );
  });

  it('flannel-daemonset-deleted: refuses the reinstall without a manifest, plans it with one', async () => {
    const without = await planFor('flannel-daemonset-deleted');
    assert.ok(!without.steps.some((s) => s.step === 'reinstall-cni'));
    const refusal = without.skipped.find((s) => s.category === 'cni.daemonset-missing');
    assert.match(refusal?.reason ?? '', /--manifest/);
    const manifest = {
      source: 'kube-flannel.yml',
      objects: [
        {
          apiVersion: 'apps/v1',
          kind: 'DaemonSet',
          metadata: { name: 'kube-flannel-ds', namespace: 'kube-flannel', uid: 'x' },
          spec: {},
          status: {},
        },
      ],
    };
    const withManifest = await planFor('flannel-daemonset-deleted', { manifest });
    const steps = withManifest.steps.map((s) => s.step);
    assert.equal(steps[0], 'reinstall-cni');
    const order = (id: string) => STEPS.find((x) => x.id === id)?.order ?? Number.NaN;
    assert.ok(order('reinstall-cni') < order('restart-kube-proxy'), 'CNI before kube-proxy (seed 001)');
    const create = withManifest.steps[0]?.objectChanges[0];
    assert.equal(create?.action, 'create');
    assert.doesNotMatch(create?.after ?? '', /uid|status/);
  });

  it('dns-egress-blocked: nothing without --emergency-allow-dns; an emergency allow with revert command with it', async () => {
    const without = await planFor('dns-egress-blocked-by-policy');
    assert.deepEqual(without.steps, []);
    assert.match(without.skipped[0]?.reason ?? '', /--emergency-allow-dns/);
    const withFlag = await planFor('dns-egress-blocked-by-policy', { emergencyAllowDns: true });
    assert.deepEqual(
      withFlag.steps.map((s) => s.step),
      ['allow-dns-egress'],
    );
    const s = withFlag.steps[0];
    assert.equal(s?.objectChanges[0]?.action, 'create');
    assert.equal(s?.objectChanges[0]?.namespace, 'demo');
    assert.ok(
      s?.notes.some(
        (n) => n === 'revert: kubectl -n demo delete networkpolicy netdoctor-emergency-allow-dns',
      ),
    );
    assert.ok(!s?.objectChanges.some((o) => o.action === 'delete'), 'never deletes a policy');
  });

  it('service-selector-typo: without --allow-app-change, refused with the near-miss and the exact command', async () => {
    const plan = await planFor('service-selector-typo');
    assert.deepEqual(plan.steps, []);
    assert.match(plan.skipped[0]?.reason ?? '', /--allow-app-change.*app: web \(selector wants app: wbe\)/);
    assert.deepEqual(plan.skipped[0]?.manualCommands, [
      'netdoctor fix --allow-app-change',
      `kubectl -n demo patch service web --type=merge -p '{"spec":{"selector":{"app":"web"}}}'`,
    ]);
  });

  it('service-selector-typo: with consent, a merge patch of only the mistyped selector value', async () => {
    const plan = await planFor('service-selector-typo', { allowAppChange: true });
    assert.deepEqual(
      plan.steps.map((s) => s.step),
      ['fix-service-selector'],
    );
    const s = plan.steps[0];
    const change = s?.objectChanges[0];
    assert.deepEqual(
      [change?.action, change?.kind, change?.namespace, change?.name, change?.patchType],
      ['patch', 'Service', 'demo', 'web', 'merge'],
    );
    assert.deepEqual(change?.patch, { spec: { selector: { app: 'web' } } });
    assert.match(change?.before ?? '', /app: wbe/);
    assert.match(change?.after ?? '', /app: web/);
    assert.deepEqual(s?.params['targets'], [
      { namespace: 'demo', name: 'web', key: 'app', from: 'wbe', to: 'web', selector: { app: 'wbe' } },
    ]);
    assert.match(s?.verification ?? '', /EndpointSlices of demo\/web .*ready address/);
    assert.match(s?.rollback ?? '', /app: wbe/);
    assert.deepEqual(plan.skipped, []);
  });

  it('service-selector-typo: two different near-misses are a guess, so refused even with consent', async () => {
    const snapshot = await readBundle(join(EXAMPLES_DIR, 'service-selector-typo'));
    const web = snapshot.cluster.pods.find(
      (p) => p.metadata.namespace === 'demo' && p.metadata.labels?.['app'] === 'web',
    );
    assert.ok(web);
    const other: K8sPod = structuredClone(web);
    other.metadata.name = 'wbb-0';
    other.metadata.labels = { app: 'wbb' };
    snapshot.cluster.pods.push(other);
    const plan = planSnapshot(snapshot, { allowAppChange: true });
    assert.deepEqual(plan.steps, []);
    assert.match(plan.skipped[0]?.reason ?? '', /2 different near-misses/);
    assert.deepEqual(plan.skipped[0]?.manualCommands, ['kubectl -n demo edit service web']);
  });

  it('overlay-mtu-mismatch: measure from ndlab-node2, Backend.MTU measured at apply, flannel.1 on every node', async () => {
    const plan = await planFor('overlay-mtu-mismatch');
    assert.deepEqual(
      plan.steps.map((s) => s.step),
      ['fix-overlay-mtu'],
    );
    const s = plan.steps[0];
    assert.ok(s);
    assert.deepEqual(
      s.objectChanges.map((o) => `${o.action} ${o.kind} ${o.namespace}/${o.name}`),
      ['patch ConfigMap kube-flannel/kube-flannel-cfg', 'patch DaemonSet kube-flannel/kube-flannel-ds'],
    );
    assert.match(s.objectChanges[0]?.before ?? '', /"Backend":\{"Type":"vxlan","Port":8472\}/);
    assert.match(
      s.objectChanges[0]?.after ?? '',
      /"Backend":\{"Type":"vxlan","Port":8472,"MTU":"<measured at apply>"\}/,
    );
    assert.deepEqual(s.params['measureFrom'], [{ node: 'ndlab-node2', peers: ['10.244.0.0', '10.244.2.0'] }]);
    assert.equal(s.params['device'], 'flannel.1');
    // Every node's underlay is 1500: the path, not a device, is what is short.
    assert.equal(s.params['deviceCap'], 1450);
    assert.deepEqual(
      s.nodeCommands.map((c) => c.node),
      ['ndlab-node2', 'ndlab-node1', 'ndlab-node2', 'ndlab-node3'],
    );
    assert.match(
      s.nodeCommands[0]?.argv.join(' ') ?? '',
      /-M do .*\nfor p in '10\.244\.0\.0' '10\.244\.2\.0'/s,
    );
    assert.ok(s.nodeCommands.every((c) => !c.hostMount));
    assert.ok(s.notes.some((n) => /ICMP 'fragmentation needed'.*TCP adapts/.test(n)));
    assert.match(s.verification, /subnet\.env's FLANNEL_MTU/);
  });

  it('flannel-daemonset-deleted: an earlier bundle (directory or .tar.gz) is the manifest the reinstall uses', async () => {
    const manifest = await loadManifest(join(EXAMPLES_DIR, 'healthy'));
    assert.match(manifest.source, /healthy .*DaemonSet kube-flannel\/kube-flannel-ds/);
    const plan = await planFor('flannel-daemonset-deleted', { manifest });
    assert.equal(plan.steps[0]?.step, 'reinstall-cni');
    const create = plan.steps[0]?.objectChanges[0];
    assert.deepEqual(
      [create?.action, create?.kind, create?.namespace, create?.name],
      ['create', 'DaemonSet', 'kube-flannel', 'kube-flannel-ds'],
    );
    const body = create?.body as {
      apiVersion?: string;
      kind?: string;
      metadata: Record<string, unknown>;
      status?: unknown;
      spec: { template: { spec: { containers: { image: string }[] } } };
    };
    assert.equal(body.apiVersion, 'apps/v1');
    assert.equal(body.kind, 'DaemonSet');
    assert.equal(body.status, undefined);
    for (const k of ['uid', 'resourceVersion', 'generation', 'creationTimestamp'])
      assert.equal(body.metadata[k], undefined, k);
    assert.equal(body.spec.template.spec.containers[0]?.image, 'netdoctor.lab/flannel:v0.28.10');
    assert.doesNotMatch(create?.after ?? '', /uid|resourceVersion|deprecated\.daemonset/);

    const tmp = await mkdtemp(join(tmpdir(), 'ndt-manifest-'));
    try {
      await cp(join(EXAMPLES_DIR, 'healthy'), join(tmp, 'healthy'), { recursive: true });
      const fromArchive = await loadManifest(
        await packBundle(join(tmp, 'healthy'), await listedFiles(join(tmp, 'healthy'))),
      );
      assert.deepEqual(fromArchive.objects, manifest.objects);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });

  it('flannel-daemonset-deleted: a bundle recorded after the deletion is a clear usage error', async () => {
    await assert.rejects(
      loadManifest(join(EXAMPLES_DIR, 'flannel-daemonset-deleted')),
      (err: unknown) =>
        err instanceof NetdoctorError && err.code === 'usage' && /holds no CNI DaemonSet/.test(err.message),
    );
  });

  it('--only narrows the plan and says why the rest is skipped', async () => {
    const plan = await planFor('kube-proxy-crashloop', { only: ['restart-kube-proxy'] });
    assert.deepEqual(
      plan.steps.map((s) => s.step),
      ['restart-kube-proxy'],
    );
    const other = await planFor('kube-proxy-crashloop', { only: ['enable-ip-forward'] });
    assert.deepEqual(other.steps, []);
    assert.ok(other.skipped.some((s) => /--only/.test(s.reason)));
  });

  it("a crash-looping kube-proxy's mode typo is put back to the mode it spells, never switched", async () => {
    assert.deepEqual(['iptable', 'nftable', 'NFTables', 'ipvss', 'kernelspace2', 'bogus'].map(intendedMode), [
      'iptables',
      'nftables',
      'nftables',
      'ipvs',
      'iptables',
      'iptables',
    ]);
    // The recorded crash loop, as an nftables cluster would have it: `mode: nftable`.
    const snapshot = await readBundle(join(EXAMPLES_DIR, 'kube-proxy-crashloop'));
    const cm = snapshot.cluster.configMaps.find((c) => c.metadata.name === 'kube-proxy');
    const conf = cm?.data?.['config.conf'] ?? '';
    assert.ok(cm?.data && conf.includes('mode: iptable'));
    cm.data['config.conf'] = conf.replace('mode: iptable', 'mode: nftable');
    for (const [k, text] of Object.entries(snapshot.cluster.logs))
      if (k.startsWith('kube-system/kube-proxy'))
        snapshot.cluster.logs[k] = text.replaceAll('\\"iptable\\"', '\\"nftable\\"');
    const step = planSnapshot(snapshot, { only: ['restart-kube-proxy'] }).steps[0];
    const change = step?.objectChanges.find((c) => c.kind === 'ConfigMap');
    assert.match(change?.after ?? '', /mode: nftables/, JSON.stringify(step));
    assert.match(change?.why ?? '', /"nftable".*"nftables" is the mode it spells/);
  });

  it('a partial match is refused unless --force', async () => {
    const snapshot = await readBundle(join(EXAMPLES_DIR, 'ip-forward-disabled'));
    const report = analyze(snapshot);
    const weak = { ...report, rootCauses: report.rootCauses.map((rc) => ({ ...rc, confidence: 0.5 })) };
    const refused = planRepairs({ report: weak, snapshot, options: DEFAULT_OPTIONS });
    assert.deepEqual(refused.steps, []);
    assert.match(refused.skipped[0]?.reason ?? '', /partial match.*--force/);
    const forced = planRepairs({ report: weak, snapshot, options: { ...DEFAULT_OPTIONS, force: true } });
    assert.deepEqual(
      forced.steps.map((s) => s.step),
      ['enable-ip-forward'],
    );
  });

  it('steps are ordered as seed 001 and every id the rules name has a step', () => {
    const sorted = [...STEPS].sort((a, b) => a.order - b.order);
    const phases = sorted.map((s) => PHASES.indexOf(s.phase));
    assert.deepEqual(
      phases,
      [...phases].sort((a, b) => a - b),
    );
    const ids = new Set<string>(STEPS.map((s) => s.id));
    assert.equal(ids.size, STEPS.length);
    const named = [
      ...Object.values(STEP),
      'fix-overlay-mtu',
      'fix-policy-selector',
      'allow-overlay-port',
      'enable-ip-forward',
      'restore-masquerade',
      'align-iptables-backend',
      'reset-cni-bridge',
      'add-policy-allow',
      'allow-dns-egress',
      'enable-bridge-nf',
    ];
    for (const id of named) assert.ok(ids.has(id), `no step ${id}`);
  });

  it('the dry-run view shows diffs, commands, verification and rollback', async () => {
    const text = renderPlan(await planFor('cni-bridge-wrong-address'));
    assert.match(text, /reset-cni-bridge/);
    assert.match(
      text,
      /node ndlab-node2: sh -c ip addr flush dev cni0 && ip addr add 10\.244\.1\.1\/24 dev cni0/,
    );
    assert.match(text, /verify: /);
    assert.match(text, /rollback: /);
  });
});
