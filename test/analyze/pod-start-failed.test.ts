/**
 * Probe pods that cannot start on a node are a finding on that node, not a gap: a sandbox that
 * cannot be set up means no pod there gets a network, a CNI-layer symptom that a CNI cause on
 * the same node explains.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { analyze } from '../../src/analyze/engine.ts';
import { readBundle } from '../../src/collect/bundle/read.ts';
import type { ProbePodFailure } from '../../src/core/probe-types.ts';
import { EXAMPLES_DIR } from '../../src/examples/catalog.ts';

/** The kubelet's event when the bridge plugin finds cni0 with another address (seed 002). */
const SANDBOX: ProbePodFailure = {
  node: 'ndlab-node2',
  pod: 'nd-probe-abc123-srv-1',
  role: 'server',
  kind: 'network',
  reason: 'FailedCreatePodSandBox',
  message:
    'Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox "3f2a": plugin type="flannel" failed (add): failed to delegate add: failed to set bridge addr: "cni0" already has an IP address different from 10.244.1.1/24',
};

async function healthyWith(failures: ProbePodFailure[]) {
  const s = await readBundle(join(EXAMPLES_DIR, 'healthy'));
  assert.ok(s.probes);
  s.probes.podFailures = failures;
  return s;
}

describe('probe pods that cannot start', () => {
  it('give a CNI-layer symptom finding on their node, which keeps the cluster from being healthy', async () => {
    const r = analyze(await healthyWith([SANDBOX]));
    const f = r.findings.find((x) => x.rule === 'probe-pod-start-failed');
    assert.ok(f, 'a finding');
    assert.deepEqual(f.subject, { kind: 'Node', name: 'ndlab-node2' });
    assert.equal(f.layer, 'cni');
    assert.deepEqual(f.symptom, { kind: 'pod-network-failed', nodes: ['ndlab-node2'] });
    assert.match(f.summary, /cannot get a network \(FailedCreatePodSandBox: .*cni0/);
    assert.equal(r.verdict, 'degraded');
    assert.deepEqual(
      r.unexplained.map((u) => u.finding),
      [f.id],
    );
    assert.ok(!r.gaps.some((g) => g.node === 'ndlab-node2' && /probe/.test(g.collector)));
  });

  it('are explained by a CNI cause on the same node', async () => {
    const s = await healthyWith([SANDBOX]);
    const node2 = s.cluster.nodes.find((n) => n.metadata.name === 'ndlab-node2');
    assert.ok(node2);
    // The same node's cni0 with an address outside its pod subnet (the seed-002 fault).
    const links = s.nodes['ndlab-node2']?.links ?? [];
    const cni0 = links.find((l) => l.ifname === 'cni0');
    assert.ok(cni0, 'the example node has cni0');
    const v4 = cni0.addrs.find((a) => a.family === 'inet');
    assert.ok(v4);
    v4.local = '10.99.0.1';
    const r = analyze(s);
    const f = r.findings.find((x) => x.rule === 'probe-pod-start-failed');
    const rc = r.rootCauses.find((x) => x.category === 'cni.bridge-address-mismatch');
    assert.ok(f && rc, JSON.stringify(r.rootCauses.map((x) => x.category)));
    assert.ok(rc.explains.includes(f.id), 'the bridge on that node explains it');
    assert.deepEqual(r.unexplained, []);
  });

  it('that cannot create their container are a warning on the node, not a network symptom', async () => {
    const r = analyze(
      await healthyWith([
        {
          ...SANDBOX,
          kind: 'container',
          reason: 'CreateContainerConfigError',
          message: 'secret "x" not found',
        },
      ]),
    );
    const f = r.findings.find((x) => x.rule === 'probe-pod-start-failed');
    assert.equal(f?.severity, 'warning');
    assert.equal(f?.symptom, undefined);
  });
});
