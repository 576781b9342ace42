import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nodesProbesWouldChange } from '../../src/diagnose/pipeline.ts';
import { planInput } from '../../src/probe/plan.ts';
import { SnapshotBuilder } from '../support/snapshot-builder.ts';

describe('diagnose places no probe pod where the pod itself would change the node', () => {
  it('picks the nodes whose collected ip_forward is 0, and only those', () => {
    const nodes = {
      'worker-1': {
        files: { sysctls: 'net.ipv4.ip_forward = 0\nnet.bridge.bridge-nf-call-iptables = 1\n' },
        cniFiles: [],
      },
      'worker-2': { files: { sysctls: 'net.ipv4.ip_forward = 1\n' }, cniFiles: [] },
      'worker-3': { files: {}, cniFiles: [] },
    };
    assert.deepEqual(
      nodesProbesWouldChange(nodes).map((a) => a.node),
      ['worker-1'],
    );
  });

  it('the probe plan leaves an avoided node out, with the reason as a gap', () => {
    const cluster = SnapshotBuilder.flannel({ workers: 2 }).build().cluster;
    const { input, gaps } = planInput(cluster, {
      probeService: { name: 'p', namespace: 'default' },
      avoidNodes: [{ node: 'worker-1', reason: 'ip_forward is 0' }],
    });
    assert.ok(!input.nodes.some((n) => n.name === 'worker-1'));
    assert.ok(input.nodes.some((n) => n.name === 'worker-2'));
    assert.deepEqual(
      gaps.map((g) => [g.node, g.detail]),
      [['worker-1', 'ip_forward is 0']],
    );
  });
});
