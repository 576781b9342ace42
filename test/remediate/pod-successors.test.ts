/**
 * Which pods count as the successors of the ones a repair recreated. A Deployment with replicas
 * on several nodes is the case that matters: when the pod on the repaired node is deleted, the
 * replica still Ready on another node is not its successor, or verify passes while the new pod
 * is still starting (the CoreDNS replica on the repaired node, not yet Ready at validation).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { K8sPod } from '../../src/core/cluster-types.ts';
import { missingSuccessors, type RecreatedPod } from '../../src/remediate/pod-recreate.ts';

const RS = { kind: 'ReplicaSet', name: 'coredns-7cd9457f4b' };

function pod(uid: string, node: string, ready: boolean, owner: typeof RS | null = RS): K8sPod {
  return {
    metadata: {
      name: owner ? `coredns-${uid}` : 'bare',
      namespace: 'kube-system',
      uid,
      ...(owner
        ? { ownerReferences: [{ apiVersion: 'apps/v1', controller: true, uid: 'rs', ...owner }] }
        : {}),
    },
    spec: { nodeName: node, containers: [] },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
    },
  } as unknown as K8sPod;
}

const deleted: RecreatedPod = {
  namespace: 'kube-system',
  name: 'coredns-old',
  uid: 'old',
  owner: 'ReplicaSet/coredns-7cd9457f4b',
  siblings: ['other'],
};

describe('successors of recreated pods', () => {
  it('a replica that was already Ready elsewhere is not the successor', () => {
    const now = [pod('other', 'node1', true), pod('new', 'node2', false)];
    assert.deepEqual(missingSuccessors([deleted], now), [
      'kube-system ReplicaSet/coredns-7cd9457f4b: 0 of 1 new pods Ready',
    ]);
  });

  it('the new replica Ready is the successor', () => {
    const now = [pod('other', 'node1', true), pod('new', 'node2', true)];
    assert.deepEqual(missingSuccessors([deleted], now), []);
  });

  it('the deleted pod still terminating and Ready is not the successor', () => {
    const now = [pod('old', 'node2', true), pod('other', 'node1', true)];
    assert.equal(missingSuccessors([deleted], now).length, 1);
  });

  it('a pod of the same owner in another namespace is not the successor', () => {
    const elsewhere = {
      ...pod('new', 'node2', true),
      metadata: { ...pod('new', 'node2', true).metadata, namespace: 'default' },
    };
    assert.equal(missingSuccessors([deleted], [elsewhere as K8sPod]).length, 1);
  });

  it('a bare pod is succeeded by its new self under the same name', () => {
    const bare: RecreatedPod = { namespace: 'kube-system', name: 'bare', uid: 'b1' };
    assert.equal(missingSuccessors([bare], [pod('b1', 'node2', true, null)]).length, 1);
    assert.deepEqual(missingSuccessors([bare], [pod('b2', 'node2', true, null)]), []);
  });
});
