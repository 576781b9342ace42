import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_AGENT_IMAGE } from '../../src/collect/node/agent-pod.ts';
import { containerdReference } from '../../src/lab/node-runtime.ts';

describe('the name the lab gives its toolbox so the default agent image is found', () => {
  it('spells Docker Hub names the way the kubelet asks containerd for them', () => {
    assert.equal(containerdReference(DEFAULT_AGENT_IMAGE), `docker.io/${DEFAULT_AGENT_IMAGE}`);
    assert.equal(containerdReference('busybox:1.36'), 'docker.io/library/busybox:1.36');
    assert.equal(containerdReference('netdoctor.lab/toolbox:3'), 'netdoctor.lab/toolbox:3');
    assert.equal(containerdReference('localhost:5000/x/y:1'), 'localhost:5000/x/y:1');
  });
});
