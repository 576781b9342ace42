/**
 * CoreDNS scaled to 0 replicas needs its replicas back, not a restart of pods that do not
 * exist. The diagnosis and the plan run on a built snapshot; apply, verify and rollback run
 * against a Deployment held in memory (no API server runs here: the lab's fix loop covers the
 * real one).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze } from '../../src/analyze/engine.ts';
import type { RepairPort } from '../../src/cluster/port.ts';
import type { Snapshot } from '../../src/core/model.ts';
import { planRepairs } from '../../src/remediate/planner.ts';
import { DEFAULT_OPTIONS, type RepairExec } from '../../src/remediate/step.ts';
import { replicasToRestore, scaleCoredns } from '../../src/remediate/steps/scale-coredns.ts';
import { registered } from '../support/registered-step.ts';
import { SnapshotBuilder } from '../support/snapshot-builder.ts';

const NOW = new Date('2025-10-13T22:06:00Z');

/** `kubectl -n kube-system scale deploy coredns --replicas=0`, with DNS failing everywhere after. */
function scaledToZero(): Snapshot {
  return SnapshotBuilder.flannel()
    .edit((s) => {
      const d = s.cluster.deployments.find((x) => x.metadata.name === 'coredns');
      assert.ok(d);
      d.spec.replicas = 0;
      d.status = { replicas: 0 };
      s.cluster.pods = s.cluster.pods.filter((p) => p.metadata.labels?.['k8s-app'] !== 'kube-dns');
      for (const sl of s.cluster.endpointSlices)
        if (sl.metadata.labels?.['kubernetes.io/service-name'] === 'kube-dns') sl.endpoints = [];
      for (const r of s.probes?.results ?? [])
        if (r.scenario.startsWith('dns')) r.outcome = { status: 'fail', error: 'timeout' };
    })
    .build();
}

/** One Deployment in memory that becomes ready at whatever it is scaled to. */
function deploymentPort(replicas: number): RepairPort & { replicas: () => number } {
  let n = replicas;
  const obj = () => ({
    metadata: { name: 'coredns', namespace: 'kube-system', generation: 2 },
    spec: { replicas: n },
    status: {
      observedGeneration: 2,
      replicas: n,
      updatedReplicas: n,
      readyReplicas: n,
      availableReplicas: n,
    },
  });
  const impl = {
    replicas: () => n,
    readObject: async () => obj(),
    patchObject: async (_k: string, _ns: string, _name: string, patch: { spec?: { replicas?: number } }) => {
      if (patch.spec?.replicas !== undefined) n = patch.spec.replicas;
      return obj();
    },
  };
  return new Proxy(impl as unknown as RepairPort & { replicas: () => number }, {
    get(t, prop) {
      const v = Reflect.get(t, prop);
      if (v !== undefined) return v;
      return () => Promise.reject(new Error(`unexpected Kubernetes API call ${String(prop)}`));
    },
  });
}

describe('CoreDNS scaled to 0 replicas', () => {
  it('is dns.coredns-not-ready, and its repair is scale-coredns, not a restart', () => {
    const s = scaledToZero();
    const report = analyze(s, { now: NOW });
    const rc = report.rootCauses[0];
    assert.equal(rc?.category, 'dns.coredns-not-ready', report.rootCauses.map((c) => c.category).join('; '));
    assert.deepEqual(rc.remediation, ['scale-coredns']);
    assert.match(rc.summary, /scaled to 0 replicas/);
    const plan = planRepairs({ report, snapshot: s, options: DEFAULT_OPTIONS });
    assert.deepEqual(
      plan.steps.map((p) => p.step),
      ['scale-coredns'],
    );
    assert.deepEqual(plan.steps[0]?.objectChanges[0]?.patch, { spec: { replicas: 2 } });
  });

  it('gives back the replica count of the last kubectl apply', () => {
    const meta = (replicas: unknown) => ({
      metadata: {
        name: 'coredns',
        annotations: {
          'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ spec: { replicas } }),
        },
      },
    });
    assert.equal(replicasToRestore(meta(3)), 3);
    assert.equal(replicasToRestore(meta(0)), 2);
    assert.equal(replicasToRestore({ metadata: { name: 'coredns' } }), 2);
  });

  it('apply scales up, verify waits for the rollout, rollback scales back to 0', async () => {
    const s = scaledToZero();
    const report = analyze(s, { now: NOW });
    const p = planRepairs({ report, snapshot: s, options: DEFAULT_OPTIONS }).steps[0];
    assert.ok(p);
    const port = deploymentPort(0);
    const exec: RepairExec = {
      port,
      nodes: { run: () => Promise.reject(new Error('no node command expected')) },
      verifyTimeoutMs: 0,
      pollMs: 10,
      log: () => undefined,
    };
    const record = await registered(scaleCoredns).apply(exec, p);
    assert.equal(record.status, 'applied');
    assert.equal(port.replicas(), 2);
    assert.equal((await registered(scaleCoredns).verify(exec, record, p)).status, 'verified');
    assert.equal((await registered(scaleCoredns).rollback(exec, record)).status, 'rolled-back');
    assert.equal(port.replicas(), 0);
    // Scaled up by someone else in the meantime: nothing to do.
    const again = await registered(scaleCoredns).apply({ ...exec, port: deploymentPort(2) }, p);
    assert.equal(again.status, 'no-op');
  });
});
