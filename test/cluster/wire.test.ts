import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ObjectSerializer } from '@kubernetes/client-node/dist/gen/models/ObjectSerializer.js';
import { wire } from '../../src/cluster/kube-port.ts';

describe('KubePort wire JSON', () => {
  const policy = {
    metadata: { namespace: 'shop', name: 'api-from-web', creationTimestamp: '2026-01-02T03:04:05Z' },
    spec: {
      podSelector: { matchLabels: { app: 'api' } },
      policyTypes: ['Ingress'],
      ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ port: 'http' }] }],
    },
  };

  it('gives a NetworkPolicy ingress rule back its `from` (the client model calls it `_from`)', () => {
    const fromClient: unknown = ObjectSerializer.deserialize(policy, 'V1NetworkPolicy', '');
    assert.ok(JSON.stringify(fromClient).includes('"_from"'), 'the client model renames the field');
    const [back] = wire([fromClient], 'V1NetworkPolicy') as [typeof policy];
    assert.deepEqual(back.spec.ingress, policy.spec.ingress);
    assert.equal(back.metadata.creationTimestamp, '2026-01-02T03:04:05.000Z');
    assert.ok(!JSON.stringify(back).includes('_from'));
  });

  it('keeps map keys as they are (ConfigMap data may have keys starting with _)', () => {
    const cm = { metadata: { name: 'x' }, data: { _from: 'a', Corefile: 'b' } };
    const [back] = wire([ObjectSerializer.deserialize(cm, 'V1ConfigMap', '')], 'V1ConfigMap');
    assert.deepEqual(back, cm);
  });
});
