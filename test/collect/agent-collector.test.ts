/**
 * Node agents through the node pod runner, over a scripted port: each way an agent pod fails
 * becomes the node's gap with the same words as before, an image no node can pull stops the whole
 * run at once, and every agent is deleted. test/live/diagnose.test.ts and blind-runs.test.ts run
 * the same code against the lab's kubelets.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { collectNodesWithAgents } from '../../src/collect/node/agent-collector.ts';
import { pendingCleanups } from '../../src/core/cleanup.ts';
import { NetdoctorError } from '../../src/core/errors.ts';
import { ended, running, ScriptedPodPort, waiting } from '../support/scripted-pod-port.ts';

const OPTS = { runId: 'r1', namespace: 'kube-system', image: 'img:1', pollMs: 5, maxPollMs: 20 };
const agent = (node: string) => `netdoctor-agent-${node}-r1`;

afterEach(() => {
  assert.deepEqual(pendingCleanups(), []);
});

describe('agent collection through the node pod runner', () => {
  it('an agent image one node cannot pull stops every agent at once, deletes them all, and names node and image', async () => {
    const port = new ScriptedPodPort((name) =>
      name === agent('node-b')
        ? waiting('ErrImagePull', 'pull access denied for img')
        : waiting('ContainerCreating'),
    );
    const t0 = Date.now();
    await assert.rejects(
      collectNodesWithAgents(port, ['node-a', 'node-b', 'node-c'], { ...OPTS, timeoutMs: 60_000 }),
      (err: unknown) =>
        err instanceof NetdoctorError &&
        err.code === 'inconclusive' &&
        /node node-b cannot pull the agent image img:1 \(ErrImagePull: pull access denied for img\)/.test(
          err.message,
        ),
    );
    assert.ok(Date.now() - t0 < 5_000, `${Date.now() - t0} ms`);
    assert.equal(port.pods.size, 0, [...port.pods.keys()].join(', '));
    assert.equal(port.calls.filter((c) => c.startsWith('deletePod')).length, 3);
  });

  it('each way an agent fails is its node’s gap; the API calls are counted', async () => {
    const script: Record<string, object | 'gone'> = {
      [agent('cfg')]: waiting('CreateContainerConfigError', 'secret "x" not found'),
      [agent('slow')]: waiting('ContainerCreating'),
      [agent('evicted')]: { phase: 'Failed', reason: 'Evicted' },
      [agent('vanished')]: 'gone',
      [agent('empty')]: ended('Succeeded', 0),
    };
    const port = new ScriptedPodPort((name) => script[name] ?? running());
    port.createError = (name) =>
      name === agent('denied') ? Object.assign(new Error('forbidden'), { code: 403 }) : undefined;
    const done: string[] = [];
    const run = await collectNodesWithAgents(
      port,
      ['cfg', 'slow', 'evicted', 'vanished', 'empty', 'denied'],
      {
        ...OPTS,
        timeoutMs: 400,
        onNode: (o) => done.push(o.node),
      },
    );
    const gaps = Object.fromEntries(run.gaps.map((g) => [g.node, `${g.reason}: ${g.detail}`]));
    assert.equal(
      gaps.cfg,
      `error: agent pod kube-system/${agent('cfg')} cannot start: CreateContainerConfigError: secret "x" not found (image img:1; pick another with --agent-image)`,
    );
    assert.equal(
      gaps.slow,
      `timeout: agent pod kube-system/${agent('slow')} did not finish within 0 s (phase Pending, ContainerCreating)`,
    );
    assert.equal(gaps.evicted, 'error: nothing collected: no output; agent pod ended Failed (Evicted)');
    assert.equal(
      gaps.vanished,
      `not-found: agent pod kube-system/${agent('vanished')} disappeared before it finished`,
    );
    assert.equal(gaps.empty, 'error: nothing collected: no output');
    assert.match(
      gaps.denied ?? '',
      /^forbidden: creating agent pod kube-system\/netdoctor-agent-denied-r1: HTTP 403: forbidden \(needs pods create\/get\/delete and pods\/log; or use --node-access ssh\|local\)$/,
    );
    assert.deepEqual(done.sort(), ['cfg', 'denied', 'empty', 'evicted', 'slow', 'vanished']);
    assert.equal(port.pods.size, 0);
    assert.equal(run.apiCalls, port.calls.length, 'every call the agents made, and only those');
  });
});
