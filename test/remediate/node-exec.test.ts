/**
 * The repair steps' node command runner over a scripted port: the pod it runs, how its log
 * becomes the command's result, and the pod states it stops at instead of waiting out its
 * budget (CreateContainerConfigError included, which it once missed). executor-lab.test.ts and
 * test/live/firewall-drop.test.ts run it against the lab.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { OWNED_LABELS } from '../../src/cluster/owned-labels.ts';
import { pendingCleanups } from '../../src/core/cleanup.ts';
import { PodNodeRunner } from '../../src/remediate/node-exec.ts';
import { ended, ScriptedPodPort, waiting } from '../support/scripted-pod-port.ts';

const OPTS = { image: 'img:1', namespace: 'kube-system', runId: 'fx1', timeoutMs: 60_000, pollMs: 5 };

afterEach(() => {
  assert.deepEqual(pendingCleanups(), []);
});

describe('PodNodeRunner', () => {
  it('runs the wrapped command in a privileged host-network pod on the node and returns its output and exit code', async () => {
    const port = new ScriptedPodPort(() => ended('Succeeded', 0));
    port.logs = () => 'net.ipv4.ip_forward = 1\n\n=====netdoctor-exit 0\n';
    const r = await new PodNodeRunner(port, OPTS).run('node-a.example', ['sysctl', 'net.ipv4.ip_forward'], {
      hostMount: false,
    });
    assert.deepEqual(r, { exitCode: 0, stdout: 'net.ipv4.ip_forward = 1\n' });
    const [m] = port.created;
    assert.ok(m);
    assert.match(m.metadata.name, /^netdoctor-fix-node-a-example-[0-9a-f]{6}$/);
    assert.equal(m.metadata.namespace, 'kube-system');
    assert.equal(m.metadata.labels[OWNED_LABELS.role], 'agent');
    assert.equal(m.metadata.labels[OWNED_LABELS.run], 'fx1');
    assert.equal(m.metadata.labels['netdoctor.io/purpose'], 'repair');
    assert.equal(m.spec.nodeName, 'node-a.example');
    assert.equal(m.spec.hostNetwork, true);
    assert.equal(m.spec.hostPID, true);
    assert.equal(m.spec.activeDeadlineSeconds, 90, 'the kubelet stops it if netdoctor is gone');
    const c = (m.spec.containers as { securityContext?: object; command: string[] }[])[0];
    assert.deepEqual(c?.securityContext, { privileged: true });
    assert.equal(c?.command[0], 'sh');
    assert.equal(port.pods.size, 0);
  });

  for (const reason of ['CreateContainerConfigError', 'ImagePullBackOff', 'CreateContainerError']) {
    it(`stops at ${reason} with the kubelet's reason, and deletes the pod`, async () => {
      const port = new ScriptedPodPort(() => waiting(reason, 'the reason'));
      const t0 = Date.now();
      await assert.rejects(
        new PodNodeRunner(port, OPTS).run('node-a', ['true'], { hostMount: true }),
        new RegExp(`^Error: node command pod on node-a cannot start: ${reason} the reason$`),
      );
      assert.ok(Date.now() - t0 < 5_000);
      assert.equal(port.pods.size, 0);
    });
  }

  it('a command that does not finish in time is an error naming the node and the budget', async () => {
    const port = new ScriptedPodPort(() => waiting('ContainerCreating'));
    await assert.rejects(
      new PodNodeRunner(port, { ...OPTS, timeoutMs: 200 }).run('node-a', ['true'], { hostMount: false }),
      /^Error: node command on node-a did not finish in 200 ms$/,
    );
    assert.equal(port.pods.size, 0);
  });

  it('a pod deleted while it ran is an error at once, not a wait for the budget', async () => {
    const port = new ScriptedPodPort((_, read) => (read === 0 ? waiting('ContainerCreating') : 'gone'));
    await assert.rejects(
      new PodNodeRunner(port, OPTS).run('node-a', ['true'], { hostMount: false }),
      /node command pod on node-a was deleted before it finished/,
    );
  });
});
