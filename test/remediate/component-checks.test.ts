/**
 * Validation's component health after a repair that recreated pods. The old pod is still listed
 * while it shuts down, not ready: it must not fail validation while its successor is Ready, but
 * a pod stuck terminating is named.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { emptyClusterState, type K8sPod } from '../../src/core/cluster-types.ts';
import { componentChecks } from '../../src/remediate/validate.ts';

const NOW = Date.parse('2026-12-05T08:00:00Z');

/** `overdueSeconds`: how far past its deletion time (request + grace) the pod still is. */
function coredns(name: string, ready: boolean, overdueSeconds?: number): K8sPod {
  return {
    metadata: {
      name,
      namespace: 'kube-system',
      uid: name,
      ...(overdueSeconds !== undefined
        ? { deletionTimestamp: new Date(NOW - overdueSeconds * 1000).toISOString() }
        : {}),
    },
    spec: { nodeName: 'node2', containers: [] },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
      containerStatuses: [{ name: 'coredns', ready }],
    },
  } as unknown as K8sPod;
}

function kubeSystem(pods: K8sPod[]) {
  const cluster = { ...emptyClusterState(), pods };
  const checks = componentChecks(cluster, { pods: true, daemonSets: true }, NOW);
  const c = checks.find((x) => x.name === 'pods in kube-system running and ready');
  assert.ok(c);
  return c;
}

describe('component health around recreated pods', () => {
  it('an old pod shutting down beside its Ready successor passes', () => {
    const c = kubeSystem([coredns('new', true), coredns('old', false, -5)]);
    assert.equal(c.status, 'pass', c.detail);
    assert.equal(c.detail, '1 pod(s) running and ready; 1 shutting down');
  });

  it('a pod stuck terminating fails, with how long', () => {
    const c = kubeSystem([coredns('new', true), coredns('old', false, 300)]);
    assert.equal(c.status, 'fail');
    assert.match(c.detail ?? '', /old on node2: stuck terminating, 300 s past its deletion time/);
  });

  it('a live pod not ready fails', () => {
    const c = kubeSystem([coredns('new', false)]);
    assert.equal(c.status, 'fail');
    assert.match(c.detail ?? '', /new on node2: not ready \(coredns\)/);
  });
});
