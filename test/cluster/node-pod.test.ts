/**
 * The node pod runner over a scripted port (test/support/scripted-pod-port.ts): how each state
 * a kubelet leaves a pod in ends the wait, and that the pod is deleted whatever happens, through
 * the process cleanup registry too.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { NodePod, runNodePod } from '../../src/cluster/node-pod.ts';
import { NodePodSet } from '../../src/cluster/node-pod-set.ts';
import { type NodePodSpec, podName } from '../../src/cluster/node-pod-spec.ts';
import { ownedSelector } from '../../src/cluster/owned-labels.ts';
import { pendingCleanups, runCleanups } from '../../src/core/cleanup.ts';
import { ended, running, ScriptedPodPort, waiting } from '../support/scripted-pod-port.ts';

const NS = 'nd-test';
const spec = (name = 'nd-pod-1', node = 'node-a'): NodePodSpec => ({
  name: podName(name),
  node,
  runId: 'r1',
  role: 'agent',
  container: { name: 'run', image: 'img:1', argv: ['true'] },
});
const LOG = { container: 'run', tailLines: 100 };
const FAST = { pollMs: 5, maxPollMs: 20 };

/** The status sequence `seq`, its last entry repeated. */
const sequence =
  (...seq: (object | 'gone')[]) =>
  (_: string, read: number) =>
    seq[Math.min(read, seq.length - 1)] as object | 'gone';

afterEach(() => {
  assert.deepEqual(pendingCleanups(), [], 'every test leaves no registered cleanup');
});

describe('runNodePod', () => {
  it('waits through Pending and Running to the end, reads the log, deletes the pod', async () => {
    const port = new ScriptedPodPort(
      sequence(waiting('ContainerCreating'), running(), ended('Succeeded', 0)),
    );
    port.logs = () => 'hello\n';
    const r = await runNodePod({ port, namespace: NS }, spec(), { timeoutMs: 5_000, log: LOG, ...FAST });
    assert.equal(r.status, 'ended');
    assert.ok(r.status === 'ended');
    assert.deepEqual(r.ended, { state: 'succeeded', exitCode: 0 });
    assert.deepEqual(r.log, { ok: true, text: 'hello\n' });
    assert.deepEqual(port.calls, [
      `createPod ${NS}/nd-pod-1`,
      `readPod ${NS}/nd-pod-1`,
      `readPod ${NS}/nd-pod-1`,
      `readPod ${NS}/nd-pod-1`,
      `podLog ${NS}/nd-pod-1`,
      `deletePod ${NS}/nd-pod-1`,
    ]);
    assert.equal(port.pods.size, 0);
  });

  it('a Failed pod still gives its log, with the exit code', async () => {
    const port = new ScriptedPodPort(sequence(ended('Failed', 3)));
    port.logs = () => 'partial';
    const r = await runNodePod({ port, namespace: NS }, spec(), { timeoutMs: 5_000, log: LOG, ...FAST });
    assert.ok(r.status === 'ended');
    assert.deepEqual(r.ended, { state: 'failed', exitCode: 3, exitReason: 'Error' });
    assert.deepEqual(r.log, { ok: true, text: 'partial' });
  });

  for (const reason of [
    'ImagePullBackOff',
    'ErrImagePull',
    'InvalidImageName',
    'CreateContainerConfigError',
    'CreateContainerError',
    'CrashLoopBackOff',
  ]) {
    it(`stops at ${reason} at once and deletes the pod`, async () => {
      const port = new ScriptedPodPort(sequence(waiting('ContainerCreating'), waiting(reason, 'why')));
      const t0 = Date.now();
      const r = await runNodePod({ port, namespace: NS }, spec(), { timeoutMs: 60_000, log: LOG, ...FAST });
      assert.ok(Date.now() - t0 < 5_000, 'not the budget');
      assert.ok(r.status === 'cannot-start', r.status);
      assert.equal(r.failure.reason, reason);
      assert.equal(r.failure.message, 'why');
      assert.equal(port.calls.at(-1), `deletePod ${NS}/nd-pod-1`);
      assert.equal(port.pods.size, 0);
    });
  }

  it('a pod the kubelet evicts or ends at its deadline has ended, with the reason', async () => {
    for (const reason of ['Evicted', 'DeadlineExceeded']) {
      const port = new ScriptedPodPort(sequence({ phase: 'Failed', reason }));
      const r = await runNodePod({ port, namespace: NS }, spec(), { timeoutMs: 5_000, log: LOG, ...FAST });
      assert.ok(r.status === 'ended');
      assert.deepEqual(r.ended, { state: 'failed', reason });
      assert.equal(port.pods.size, 0);
    }
  });

  it('a sandbox the kubelet failed to create twice (events) cannot start: network', async () => {
    const port = new ScriptedPodPort(sequence(waiting('ContainerCreating')));
    port.events = [
      {
        involvedObject: { kind: 'Pod', name: 'nd-pod-1' },
        type: 'Warning',
        reason: 'FailedCreatePodSandBox',
        message: 'failed to set bridge addr: "cni0" already has an IP address different from 10.244.1.1/24',
        count: 2,
      },
    ];
    const t0 = Date.now();
    const r = await runNodePod({ port, namespace: NS }, spec(), { timeoutMs: 20_000, log: LOG, ...FAST });
    assert.ok(r.status === 'cannot-start', r.status);
    assert.equal(r.failure.kind, 'network');
    assert.ok(Date.now() - t0 >= 2_000, 'the events are not read for a pod the kubelet has not taken up');
    assert.ok(Date.now() - t0 < 10_000);
    assert.ok(
      port.calls.filter((c) => c.startsWith('list events')).length <= 2,
      'one list serves a poll interval',
    );
    assert.equal(port.pods.size, 0);
  });

  it('times out with the last status read, and deletes the pod', async () => {
    const port = new ScriptedPodPort(sequence(waiting('ContainerCreating')));
    const r = await runNodePod({ port, namespace: NS }, spec(), { timeoutMs: 300, log: LOG, ...FAST });
    assert.ok(r.status === 'timeout');
    assert.equal(r.pod?.status?.containerStatuses?.[0]?.state?.waiting?.reason, 'ContainerCreating');
    assert.equal(port.pods.size, 0);
  });

  it('an abort ends the wait at once, not at the next poll, and the pod is deleted', async () => {
    const port = new ScriptedPodPort(sequence(running()));
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 100);
    const t0 = Date.now();
    const r = await runNodePod({ port, namespace: NS }, spec(), {
      timeoutMs: 60_000,
      log: LOG,
      signal: stop.signal,
      pollMs: 30_000,
    });
    assert.equal(r.status, 'aborted');
    assert.ok(Date.now() - t0 < 2_000, `${Date.now() - t0} ms`);
    assert.equal(port.pods.size, 0);
    const again = await runNodePod({ port, namespace: NS }, spec('nd-pod-2'), {
      timeoutMs: 60_000,
      log: LOG,
      signal: stop.signal,
    });
    assert.equal(again.status, 'aborted');
    assert.ok(!port.calls.includes(`createPod ${NS}/nd-pod-2`), 'nothing is created once stopped');
  });

  it('a pod deleted from elsewhere is gone; an API refusal while watching is an error; both leave nothing', async () => {
    const port = new ScriptedPodPort(sequence(waiting('ContainerCreating'), 'gone'));
    const gone = await runNodePod({ port, namespace: NS }, spec(), { timeoutMs: 60_000, log: LOG, ...FAST });
    assert.equal(gone.status, 'gone');
    const refused = new ScriptedPodPort(sequence(running()));
    refused.readError = () => Object.assign(new Error('pods "nd-pod-1" is forbidden'), { code: 403 });
    const r = await runNodePod({ port: refused, namespace: NS }, spec(), {
      timeoutMs: 60_000,
      log: LOG,
      ...FAST,
    });
    assert.ok(r.status === 'error');
    assert.equal((r.error as { code?: number }).code, 403);
    assert.equal(refused.calls.at(-1), `deletePod ${NS}/nd-pod-1`);
  });

  it('a refused create is not-created, and its deletion is still tried (a create that timed out may have gone through)', async () => {
    const port = new ScriptedPodPort(sequence(running()));
    port.createError = () => Object.assign(new Error('quota exceeded'), { code: 403 });
    const r = await runNodePod({ port, namespace: NS }, spec(), { timeoutMs: 5_000, log: LOG });
    assert.ok(r.status === 'not-created');
    assert.deepEqual(port.calls, [`createPod ${NS}/nd-pod-1`, `deletePod ${NS}/nd-pod-1`]);
  });

  it('an unreadable log comes back as such, and the pod is still deleted', async () => {
    const port = new ScriptedPodPort(sequence(ended('Succeeded', 0)));
    port.logs = () => {
      throw new Error('log backend down');
    };
    const r = await runNodePod({ port, namespace: NS }, spec(), { timeoutMs: 5_000, log: LOG, ...FAST });
    assert.ok(r.status === 'ended' && !r.log.ok);
    assert.equal(port.pods.size, 0);
  });
});

describe('NodePod and the process cleanup registry', () => {
  it('the deletion is registered before the create is answered; Ctrl-C mid-create deletes after it', async () => {
    const port = new ScriptedPodPort(sequence(running()));
    port.createDelayMs = 100;
    const pod = NodePod.start({ port, namespace: NS }, spec());
    assert.deepEqual(pendingCleanups(), [`pod ${NS}/nd-pod-1`]);
    await runCleanups();
    assert.deepEqual(port.calls, [`createPod ${NS}/nd-pod-1`, `deletePod ${NS}/nd-pod-1`]);
    assert.equal(port.pods.size, 0, 'not outrun by the create');
    const w = await pod.wait({ deadline: Date.now() + 1_000, pollMs: 5 });
    assert.equal(w.status, 'gone', 'a wait on a pod the cleanup deleted ends at once');
    assert.deepEqual(await pod.delete(), { ok: true });
    assert.equal(port.calls.filter((c) => c.startsWith('deletePod')).length, 1, 'deleted once');
  });

  it('waits until running, or until ready', async () => {
    const port = new ScriptedPodPort(sequence(waiting('ContainerCreating'), running(false), running(true)));
    const pod = NodePod.start({ port, namespace: NS }, spec());
    try {
      assert.deepEqual((await pod.created).ok, true);
      const up = await pod.wait({ deadline: Date.now() + 5_000, until: 'running', pollMs: 5 });
      assert.ok(up.status === 'running' && !up.ready);
      const ready = await pod.wait({ deadline: Date.now() + 5_000, until: 'ready', pollMs: 5 });
      assert.ok(ready.status === 'running' && ready.ready);
    } finally {
      await pod.delete();
    }
    assert.equal(port.pods.size, 0);
  });
});

describe('NodePodSet', () => {
  it('reads every pod with one list per poll, one events list for all pending ones, and closes them all', async () => {
    const statuses: Record<string, object> = {
      'nd-s-0': running(true),
      'nd-s-1': waiting('CreateContainerConfigError', 'configmap "x" not found'),
      'nd-s-2': waiting('ContainerCreating'),
      'nd-s-3': ended('Failed', 1, 'Evicted'),
    };
    const port = new ScriptedPodPort((name) => statuses[name] ?? 'gone');
    const set = new NodePodSet({ port, namespace: NS }, ownedSelector('r1'));
    assert.deepEqual(pendingCleanups(), [`pods ${ownedSelector('r1')} in ${NS}`], 'one cleanup for the set');
    try {
      const pods = Object.keys(statuses).map((n, i) => set.start(spec(n, `node-${i}`)));
      for (const p of pods) assert.deepEqual(await p.created, { ok: true });
      const readings = await set.poll(Date.now() + 5_000);
      assert.deepEqual(Object.fromEntries(readings.map((r) => [r.name, r.state.state])), {
        'nd-s-0': 'running',
        'nd-s-1': 'cannot-start',
        'nd-s-2': 'pending',
        'nd-s-3': 'failed',
      });
      assert.equal(port.calls.filter((c) => c.startsWith('listPods')).length, 1);
      assert.equal(port.calls.filter((c) => c.startsWith('readPod')).length, 0);
      assert.equal(port.calls.filter((c) => c.startsWith('list events')).length, 1);
    } finally {
      assert.deepEqual(await set.close(), []);
    }
    assert.equal(port.pods.size, 0);
    const late = set.start(spec('nd-s-9'));
    assert.equal((await late.created).ok, false, 'a closed set creates nothing');
    assert.ok(!port.calls.includes(`createPod ${NS}/nd-s-9`));
  });

  it('Ctrl-C: the set’s one registered cleanup deletes its pods and what the selector lists', async () => {
    const port = new ScriptedPodPort(() => running());
    const set = new NodePodSet({ port, namespace: NS }, ownedSelector('r1'));
    set.start(spec('nd-a'));
    // A pod of the run this process did not start (a create that timed out, then went through).
    await port.createPod(NS, {
      metadata: {
        name: 'nd-stray',
        labels: { 'app.kubernetes.io/managed-by': 'netdoctor', 'netdoctor.io/run': 'r1' },
      },
      spec: { nodeName: 'node-b' },
    });
    await runCleanups();
    assert.equal(port.pods.size, 0, [...port.pods.keys()].join(', '));
    assert.deepEqual(await set.close(), [], 'closing again does nothing more');
  });
});
