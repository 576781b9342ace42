import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  imagePullError,
  SANDBOX_CONFIRM_MS,
  StartFailureWatch,
  startFailureOfEvents,
  startFailureOfPod,
  stuckWithoutSandbox,
} from '../../src/cluster/pod-start-failure.ts';
import { EXIT } from '../../src/core/errors.ts';

const SANDBOX_EVENT = {
  involvedObject: { kind: 'Pod', name: 'nd-probe-r1-srv-1' },
  type: 'Warning',
  reason: 'FailedCreatePodSandBox',
  message:
    'Failed to create pod sandbox: rpc error: code = Unknown desc = failed to setup network for sandbox "9c1e": plugin type="flannel" failed (add): failed to delegate add: failed to set bridge addr: "cni0" already has an IP address different from 10.244.1.1/24',
  count: 1,
};

describe('why a pod cannot start', () => {
  it('reads image and container failures from the pod status, and only those', () => {
    const waiting = (reason: string, message = '') => ({
      status: { containerStatuses: [{ state: { waiting: { reason, message } } }] },
    });
    assert.equal(
      startFailureOfPod(waiting('ErrImagePull', 'dial tcp 127.0.0.1:1: connect: connection refused'))?.kind,
      'image',
    );
    assert.equal(startFailureOfPod(waiting('ImagePullBackOff'))?.kind, 'image');
    assert.equal(startFailureOfPod(waiting('CreateContainerConfigError'))?.kind, 'container');
    assert.equal(startFailureOfPod(waiting('ContainerCreating')), undefined);
    assert.equal(startFailureOfPod(undefined), undefined);
  });

  it("reads a failed sandbox from the kubelet's events about that pod only", () => {
    assert.equal(startFailureOfEvents('nd-probe-r1-srv-1', [SANDBOX_EVENT])?.kind, 'network');
    assert.equal(startFailureOfEvents('nd-probe-r1-srv-2', [SANDBOX_EVENT]), undefined);
    assert.equal(
      startFailureOfEvents('nd-probe-r1-srv-1', [{ ...SANDBOX_EVENT, type: 'Normal' }]),
      undefined,
    );
  });

  it('counts a failed sandbox once it repeats or lasts, not on its first report', () => {
    const w = new StartFailureWatch();
    const once = startFailureOfEvents('p', [{ ...SANDBOX_EVENT, involvedObject: { name: 'p' } }]);
    assert.equal(w.confirm('p', once, 1_000), undefined, 'a CNI starting up may fail once');
    assert.equal(w.confirm('p', once, 1_000 + SANDBOX_CONFIRM_MS - 1), undefined);
    assert.equal(w.confirm('p', once, 1_000 + SANDBOX_CONFIRM_MS)?.reason, 'FailedCreatePodSandBox');
    const twice = startFailureOfEvents('q', [{ ...SANDBOX_EVENT, involvedObject: { name: 'q' }, count: 2 }]);
    assert.ok(new StartFailureWatch().confirm('q', twice), 'the kubelet retried and failed again');
    const image = startFailureOfPod({
      status: { containerStatuses: [{ state: { waiting: { reason: 'ErrImagePull' } } }] },
    });
    assert.ok(new StartFailureWatch().confirm('r', image), 'an image failure is final at once');
  });

  it('a pod left in ContainerCreating with no image on its way has no sandbox; a slow pull or an unseen pod says nothing', () => {
    const pod = (reason?: string) => ({
      metadata: { name: 'p' },
      status: {
        phase: 'Pending',
        ...(reason ? { containerStatuses: [{ state: { waiting: { reason } } }] } : {}),
      },
    });
    const stuck = stuckWithoutSandbox(pod('ContainerCreating'), [], 60_000);
    assert.equal(stuck?.kind, 'network');
    assert.match(stuck?.message ?? '', /not set up after 60 s/);
    const pulling = [{ involvedObject: { name: 'p' }, reason: 'Pulling', type: 'Normal' }];
    assert.equal(stuckWithoutSandbox(pod('ContainerCreating'), pulling, 60_000), undefined);
    assert.ok(
      stuckWithoutSandbox(
        pod('ContainerCreating'),
        [...pulling, { involvedObject: { name: 'p' }, reason: 'Pulled', type: 'Normal' }],
        60_000,
      ),
    );
    assert.equal(stuckWithoutSandbox(pod(), [], 60_000), undefined, 'the kubelet never took it up');
  });

  it('an image the nodes cannot pull is one line with the image, the node and the remedy, exit 5', () => {
    const err = imagePullError('nicolaka/netshoot:v0.13', 'worker-2', {
      kind: 'image',
      reason: 'ErrImagePull',
      message:
        'failed to pull and unpack image "docker.io/nicolaka/netshoot:v0.13": dial tcp: lookup registry-1.docker.io: no such host\nmore',
    });
    assert.equal(err.exitCode, EXIT.inconclusive);
    assert.doesNotMatch(err.message, /\n/);
    assert.match(
      err.message,
      /node worker-2 cannot pull the agent image nicolaka\/netshoot:v0\.13 \(ErrImagePull: .*no such host\)/,
    );
    assert.match(err.message, /--agent-image/);
    assert.match(err.message, /ctr -n k8s\.io images import/);
  });
});
