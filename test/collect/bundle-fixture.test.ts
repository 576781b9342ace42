import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readBundleDetailed } from '../../src/collect/bundle/read.ts';

const FIXTURE = fileURLToPath(new URL('../fixtures/bundles/two-node-flannel', import.meta.url));

describe('the committed two-node-flannel bundle', () => {
  it('still reads completely with this netdoctor', async () => {
    const { snapshot, manifest } = await readBundleDetailed(FIXTURE);
    assert.equal(manifest.version, 1);
    assert.deepEqual(
      snapshot.gaps.map((g) => g.collector),
      ['nodes/node-2/vxlan-capture'],
      'only the gap recorded at collection time',
    );
    assert.deepEqual(Object.keys(snapshot.nodes).sort(), ['node-1', 'node-2']);
    assert.equal(snapshot.cluster.pods.length, 7);
    assert.equal(snapshot.cluster.serverVersion, 'v1.30.2');
    const n2 = snapshot.nodes['node-2']!;
    assert.equal(n2.routes?.find((r) => r.dst === '10.244.0.0/24')?.gateway, '192.168.56.11');
    assert.ok(n2.links?.some((l) => l.ifname === 'cni0' && l.addrs.some((a) => a.local === '10.244.1.1')));
    assert.equal(n2.sysctls?.['net.ipv4.ip_forward'], '0');
    assert.equal(n2.cniConfigs?.[0]?.plugins.join(','), 'flannel,portmap');
    assert.equal(snapshot.probes?.results.length, 3);
    assert.ok(
      Object.keys(snapshot.cluster.logs).includes('kube-system/kube-proxy-7xk2p/kube-proxy/previous'),
    );
  });
});
