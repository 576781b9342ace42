import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nodePodManifest, podName } from '../../src/cluster/node-pod-spec.ts';
import { isFinal, nodePodState, podDetail } from '../../src/cluster/node-pod-state.ts';
import { OWNED_LABELS } from '../../src/cluster/owned-labels.ts';
import { STUCK_WAITING_REASONS } from '../../src/cluster/pod-start-failure.ts';
import { ended, running, waiting } from '../support/scripted-pod-port.ts';

const pod = (status: object, metadata: object = { name: 'p' }) => ({ metadata, status });

describe('node pod state: one reading of a pod netdoctor placed on a node', () => {
  it('every waiting reason a container never leaves is cannot-start, with what it says', () => {
    const want: [string, string][] = [
      ['ImagePullBackOff', 'image'],
      ['ErrImagePull', 'image'],
      ['ErrImageNeverPull', 'image'],
      ['InvalidImageName', 'image'],
      ['CreateContainerConfigError', 'container'],
      ['CreateContainerError', 'container'],
      ['RunContainerError', 'container'],
      ['CrashLoopBackOff', 'container'],
    ];
    assert.deepEqual(Object.entries(STUCK_WAITING_REASONS).sort(), want.sort(), 'the one list');
    for (const [reason, kind] of want) {
      const s = nodePodState(pod(waiting(reason, `kubelet: ${reason}`)));
      assert.equal(s.state, 'cannot-start', reason);
      assert.ok(s.state === 'cannot-start');
      assert.deepEqual(s.failure, { kind, reason, message: `kubelet: ${reason}` });
      assert.ok(isFinal(s));
    }
  });

  it('a crash loop while the pod is Running, and a stuck init container, cannot start either', () => {
    assert.equal(
      nodePodState(pod(waiting('CrashLoopBackOff', 'back-off 10s', 'Running'))).state,
      'cannot-start',
    );
    const init = {
      phase: 'Pending',
      initContainerStatuses: [
        { state: { waiting: { reason: 'CreateContainerConfigError', message: 'no key' } } },
      ],
      containerStatuses: [{ state: { waiting: { reason: 'PodInitializing' } } }],
    };
    const s = nodePodState(pod(init));
    assert.ok(s.state === 'cannot-start' && s.failure.reason === 'CreateContainerConfigError');
  });

  it('a pod the scheduler cannot place is a placement failure', () => {
    const s = nodePodState(
      pod({
        phase: 'Pending',
        conditions: [
          {
            type: 'PodScheduled',
            status: 'False',
            reason: 'Unschedulable',
            message: '0/3 nodes are available',
          },
        ],
      }),
    );
    assert.deepEqual(s, {
      state: 'cannot-start',
      failure: { kind: 'placement', reason: 'Unschedulable', message: '0/3 nodes are available' },
    });
  });

  it('ended pods: exit codes, Evicted, DeadlineExceeded, OOMKilled', () => {
    assert.deepEqual(nodePodState(pod(ended('Succeeded', 0))), { state: 'succeeded', exitCode: 0 });
    assert.deepEqual(nodePodState(pod(ended('Failed', 2))), {
      state: 'failed',
      exitCode: 2,
      exitReason: 'Error',
    });
    assert.deepEqual(nodePodState(pod({ phase: 'Failed', reason: 'Evicted', message: 'low on memory' })), {
      state: 'failed',
      reason: 'Evicted',
    });
    assert.deepEqual(
      nodePodState(pod({ ...waiting('ContainerCreating'), phase: 'Failed', reason: 'DeadlineExceeded' })),
      {
        state: 'failed',
        reason: 'DeadlineExceeded',
      },
    );
    const oom = {
      phase: 'Failed',
      containerStatuses: [{ state: { terminated: { exitCode: 137, reason: 'OOMKilled' } } }],
    };
    assert.deepEqual(nodePodState(pod(oom)), { state: 'failed', exitCode: 137, exitReason: 'OOMKilled' });
  });

  it('a pod absent or being deleted is gone; pending and running may still change', () => {
    assert.deepEqual(nodePodState(undefined), { state: 'gone' });
    assert.deepEqual(nodePodState(pod(running(), { name: 'p', deletionTimestamp: '2026-12-06T10:00:00Z' })), {
      state: 'gone',
    });
    assert.deepEqual(nodePodState(pod(waiting('ContainerCreating'))), {
      state: 'pending',
      waiting: 'ContainerCreating',
    });
    assert.deepEqual(nodePodState(pod({ phase: 'Pending' })), { state: 'pending' });
    assert.deepEqual(nodePodState(pod(running(false))), {
      state: 'running',
      ready: false,
      podIP: '10.244.1.9',
    });
    assert.deepEqual(nodePodState(pod(running(true))), {
      state: 'running',
      ready: true,
      podIP: '10.244.1.9',
    });
    assert.equal(isFinal({ state: 'pending' }), false);
    assert.equal(isFinal({ state: 'running', ready: true }), false);
  });

  it('podDetail says phase, waiting reason and message, termination and the pod reason', () => {
    assert.equal(podDetail(undefined), 'pod not found');
    assert.equal(
      podDetail(pod(waiting('ErrImagePull', 'denied'))),
      'phase Pending, waiting: ErrImagePull (denied)',
    );
    assert.equal(podDetail(pod(ended('Failed', 1, 'Evicted'))), 'phase Failed, terminated: Error, Evicted');
  });
});

describe('node pod manifest', () => {
  const base = {
    name: podName('nd-x-1'),
    node: 'node-a',
    runId: 'r1',
    role: 'agent' as const,
    container: { name: 'run', image: 'img:1', argv: ['sh', '-c', 'echo $HOME'] },
  };

  it('pins the pod to its node, tolerates every taint, carries the owned labels, and asks nothing more by default', () => {
    const m = nodePodManifest({ ...base, labels: { [OWNED_LABELS.run]: 'forged', extra: 'x' } }, 'ns1') as {
      metadata: { namespace: string; labels: Record<string, string> };
      spec: Record<string, unknown> & { containers: Record<string, unknown>[] };
    };
    assert.equal(m.metadata.namespace, 'ns1');
    assert.equal(m.metadata.labels[OWNED_LABELS.run], 'r1', 'the owned labels cannot be replaced');
    assert.equal(m.metadata.labels[OWNED_LABELS.managedBy], 'netdoctor');
    assert.equal(m.metadata.labels.extra, 'x');
    assert.equal(m.spec.nodeName, 'node-a');
    assert.deepEqual(m.spec.tolerations, [{ operator: 'Exists' }]);
    assert.equal(m.spec.restartPolicy, 'Never');
    assert.equal(m.spec.terminationGracePeriodSeconds, 0);
    assert.equal(m.spec.automountServiceAccountToken, false);
    for (const k of ['hostNetwork', 'hostPID', 'dnsPolicy', 'volumes', 'activeDeadlineSeconds'])
      assert.equal(m.spec[k], undefined, k);
    const c = m.spec.containers[0] ?? {};
    assert.equal(c.securityContext, undefined);
    assert.equal(c.imagePullPolicy, undefined);
    assert.deepEqual(c.command, ['sh', '-c', 'echo $$HOME'], 'the kubelet does not expand $');
  });

  it('gives the node namespaces, privileges and its root only when asked', () => {
    const m = nodePodManifest(
      {
        ...base,
        activeDeadlineSeconds: 90.2,
        access: { hostNetwork: true, clusterDns: true, hostPID: true, privileged: true, hostRoot: '/host' },
      },
      'ns1',
    ) as { spec: Record<string, unknown> & { containers: Record<string, unknown>[] } };
    assert.equal(m.spec.hostNetwork, true);
    assert.equal(m.spec.hostPID, true);
    assert.equal(m.spec.dnsPolicy, 'ClusterFirstWithHostNet');
    assert.equal(m.spec.activeDeadlineSeconds, 91);
    assert.deepEqual(m.spec.volumes, [{ name: 'host', hostPath: { path: '/', type: 'Directory' } }]);
    const c = m.spec.containers[0] ?? {};
    assert.deepEqual(c.securityContext, { privileged: true });
    assert.deepEqual(c.volumeMounts, [{ name: 'host', mountPath: '/host', readOnly: true }]);
  });
});
