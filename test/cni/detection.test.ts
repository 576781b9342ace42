import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildIndex } from '../../src/analyze/snapshot-index.ts';
import { CNI_ADAPTERS, calico, cilium, cniOf, cniOfNode, flannel } from '../../src/cni/index.ts';
import { readBundle } from '../../src/collect/bundle/read.ts';
import type { K8sPod } from '../../src/core/cluster-types.ts';
import type { Snapshot } from '../../src/core/model.ts';
import { EXAMPLES_DIR } from '../../src/examples/catalog.ts';
import { SnapshotBuilder } from '../support/snapshot-builder.ts';

/** The builder's flannel cluster with every trace of flannel removed: DaemonSet, pods, ConfigMap, annotations, node files. */
function withoutFlannel(s: Snapshot): Snapshot {
  const c = s.cluster;
  c.daemonSets = c.daemonSets.filter((d) => !/flannel/.test(d.metadata.name));
  c.pods = c.pods.filter((p) => !/flannel/.test(p.metadata.name));
  c.configMaps = c.configMaps.filter((cm) => !/flannel/.test(cm.metadata.name));
  for (const n of c.nodes)
    n.metadata.annotations = Object.fromEntries(
      Object.entries(n.metadata.annotations ?? {}).filter(([k]) => !k.startsWith('flannel.')),
    );
  for (const dp of Object.values(s.nodes)) {
    delete dp.flannelSubnetEnv;
    dp.links = (dp.links ?? []).filter((l) => !/^(flannel\.\d+|cni0)$/.test(l.ifname));
    dp.cniConfigs = [];
  }
  return s;
}

function agentPod(
  node: string,
  name: string,
  labels: Record<string, string>,
  image: string,
  container: string,
): K8sPod {
  return {
    metadata: { name, namespace: 'kube-system', labels },
    spec: { nodeName: node, hostNetwork: true, containers: [{ name: container, image }] },
    status: { phase: 'Running', podIP: '192.168.1.10' },
  } as K8sPod;
}

function link(ifname: string, kind?: string) {
  return {
    ifname,
    ifindex: 50,
    flags: ['UP'],
    mtu: 1450,
    operstate: 'UNKNOWN',
    addrs: [],
    ...(kind ? { kind } : {}),
  };
}

/** calico.yaml's shape: calico-node DaemonSet and pods, 10-calico.conflist, vxlan.calico and cali* veths, `calicoctl node status`. */
function calicoCluster(): Snapshot {
  const s = withoutFlannel(SnapshotBuilder.flannel().build());
  s.cluster.daemonSets.push({
    metadata: { name: 'calico-node', namespace: 'kube-system' },
    spec: { selector: { matchLabels: { 'k8s-app': 'calico-node' } }, template: {} },
  });
  for (const n of s.cluster.nodes)
    s.cluster.pods.push(
      agentPod(
        n.metadata.name,
        `calico-node-${n.metadata.name}`,
        { 'k8s-app': 'calico-node' },
        'docker.io/calico/node:v3.28.0',
        'calico-node',
      ),
    );
  for (const dp of Object.values(s.nodes)) {
    dp.links = [
      ...(dp.links ?? []),
      link('vxlan.calico', 'vxlan') as never,
      link('cali1a2b3c4d5e6') as never,
    ];
    dp.cniConfigs = [
      {
        file: '10-calico.conflist',
        name: 'k8s-pod-network',
        plugins: ['calico', 'bandwidth', 'portmap'],
        raw: '{}',
      } as never,
    ];
    dp.cniStatus = { tool: 'calicoctl', output: 'Calico process is running.\n' };
  }
  return s;
}

/** The Cilium chart's shape: cilium DaemonSet and pods, 05-cilium.conflist, cilium_host/cilium_vxlan, `cilium status`. */
function ciliumCluster(): Snapshot {
  const s = withoutFlannel(SnapshotBuilder.flannel().build());
  s.cluster.daemonSets.push({
    metadata: { name: 'cilium', namespace: 'kube-system' },
    spec: { selector: { matchLabels: { 'k8s-app': 'cilium' } }, template: {} },
  });
  for (const n of s.cluster.nodes)
    s.cluster.pods.push(
      agentPod(
        n.metadata.name,
        `cilium-${n.metadata.name}`,
        { 'k8s-app': 'cilium' },
        'quay.io/cilium/cilium:v1.16.1',
        'cilium-agent',
      ),
    );
  for (const dp of Object.values(s.nodes)) {
    dp.links = [
      ...(dp.links ?? []),
      link('cilium_host') as never,
      link('cilium_net') as never,
      link('cilium_vxlan', 'vxlan') as never,
    ];
    dp.cniConfigs = [
      { file: '05-cilium.conflist', name: 'cilium', plugins: ['cilium-cni'], raw: '{}' } as never,
    ];
    dp.cniStatus = { tool: 'cilium', output: 'Cilium:   Ok\n' };
  }
  return s;
}

describe('CNI detection', () => {
  it('lists each adapter once, with distinct ids, and marks the ones not yet run in the lab', () => {
    assert.deepEqual(
      CNI_ADAPTERS.map((a) => a.id),
      ['flannel', 'calico', 'cilium'],
    );
    assert.equal(flannel.provenance, 'lab');
    assert.equal(calico.provenance, 'recorded-shape');
    assert.equal(cilium.provenance, 'recorded-shape');
  });

  it('finds flannel from its DaemonSet and pods, and on every node', () => {
    const s = SnapshotBuilder.flannel().build();
    const d = cniOf(s);
    assert.ok(d.known && d.adapter === flannel);
    assert.ok(d.signals.some((x) => x.strength === 'agent' && /kube-flannel-ds/.test(x.what)));
    for (const dp of Object.values(s.nodes)) {
      const n = cniOfNode(dp);
      assert.ok(n.known && n.adapter === flannel, dp.name);
    }
    assert.equal(buildIndex(s).cniAdapter, flannel);
  });

  it('still finds flannel once its DaemonSet is deleted, from what it leaves behind', () => {
    const d = cniOf(SnapshotBuilder.flannel().deleteFlannelDaemonSet().build());
    assert.ok(d.known && d.adapter === flannel);
    assert.ok(d.signals.every((x) => x.strength === 'residue'));
  });

  it('finds Calico from calico-node, its CNI config, vxlan.calico and calicoctl output', () => {
    const s = calicoCluster();
    const d = cniOf(s);
    assert.ok(d.known && d.adapter === calico);
    const idx = buildIndex(s);
    assert.equal(idx.cni, 'calico');
    assert.equal(idx.cniDaemonSet?.metadata.name, 'calico-node');
    assert.equal(idx.cniPods.length, s.cluster.nodes.length);
    const n = cniOfNode(s.nodes['worker-1']!);
    assert.ok(n.known && n.adapter === calico);
    assert.ok(n.seen.includes('device vxlan.calico'));
  });

  it('finds Cilium from its DaemonSet, its CNI config, cilium_host and cilium status', () => {
    const s = ciliumCluster();
    const d = cniOf(s);
    assert.ok(d.known && d.adapter === cilium);
    assert.equal(buildIndex(s).cniDaemonSet?.metadata.name, 'cilium');
    const n = cniOfNode(s.nodes['worker-2']!);
    assert.ok(n.known && n.adapter === cilium);
    assert.ok(n.seen.includes('a CNI config with plugin type cilium-cni'));
  });

  it('finds a CNI from its agent image alone when labels and DaemonSet are gone', () => {
    const s = ciliumCluster();
    s.cluster.daemonSets = s.cluster.daemonSets.filter((x) => x.metadata.name !== 'cilium');
    for (const p of s.cluster.pods) if (p.metadata.labels?.['k8s-app'] === 'cilium') p.metadata.labels = {};
    const d = cniOf(s);
    assert.ok(d.known && d.adapter === cilium);
    assert.ok(d.signals.every((x) => x.strength === 'residue'));
    assert.equal(buildIndex(s).cniPods.length, 0);
  });

  it('says unknown, with the reason, when no CNI shows', () => {
    const s = withoutFlannel(SnapshotBuilder.flannel().build());
    const d = cniOf(s);
    assert.equal(d.known, false);
    assert.equal(buildIndex(s).cni, 'unknown');
    assert.equal(buildIndex(s).cniAdapter, undefined);
    assert.deepEqual(cniOfNode(s.nodes['worker-1']!), { known: false });
  });

  it('finds flannel in the recorded example bundles, healthy and with its DaemonSet deleted', async () => {
    for (const id of ['healthy', 'flannel-daemonset-deleted']) {
      const s = await readBundle(join(EXAMPLES_DIR, id));
      const d = cniOf(s);
      assert.ok(d.known && d.adapter === flannel, id);
      const nodes = Object.values(s.nodes);
      assert.ok(nodes.length > 0, id);
      for (const dp of nodes) {
        const n = cniOfNode(dp);
        assert.ok(n.known && n.adapter === flannel, `${id} ${dp.name}`);
      }
    }
  });
});
