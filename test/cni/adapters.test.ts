import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BRIDGE_CNI,
  CNI_ADAPTERS,
  calico,
  cilium,
  cniAdapter,
  encapsulationOfDevice,
  flannel,
  MTU_REPAIR_CNI,
  OFFLINE_CHECKED,
  OWNED_CHAINS_LABEL,
  offlineCheckedAdapter,
  reportingAdapters,
} from '../../src/cni/index.ts';
import { IANA_VXLAN_PORT, IPIP_OVERHEAD, LINUX_VXLAN_PORT, VXLAN_OVERHEAD } from '../../src/cni/vxlan.ts';

describe('CNI adapters', () => {
  it('carry each CNI’s devices, ports and overheads, with the shared numbers defined once', () => {
    assert.deepEqual(
      flannel.encapsulations.map((e) => [e.kind, e.device, e.port, e.overhead]),
      [['vxlan', 'flannel.1', LINUX_VXLAN_PORT, VXLAN_OVERHEAD]],
    );
    assert.deepEqual(
      calico.encapsulations.map((e) => [e.kind, e.device, e.port, e.overhead]),
      [
        ['ipip', 'tunl0', undefined, IPIP_OVERHEAD],
        ['vxlan', 'vxlan.calico', IANA_VXLAN_PORT, VXLAN_OVERHEAD],
      ],
    );
    assert.equal(cilium.encapsulations[0]?.device, 'cilium_vxlan');
    assert.equal(cilium.encapsulations[0]?.port, LINUX_VXLAN_PORT);
    assert.deepEqual(
      [VXLAN_OVERHEAD, IPIP_OVERHEAD, LINUX_VXLAN_PORT, IANA_VXLAN_PORT],
      [50, 20, 8472, 4789],
    );
    assert.deepEqual(calico.controlPorts, [179]);
    assert.equal(encapsulationOfDevice('flannel.1')?.port, 8472);
    assert.equal(encapsulationOfDevice('vxlan.calico')?.port, 4789);
    assert.equal(encapsulationOfDevice('eth0'), undefined);
  });

  it('name each agent’s DaemonSet, namespace, labels and CNI config', () => {
    assert.deepEqual(
      CNI_ADAPTERS.map((a) => [a.id, a.agent.namespace, a.agent.daemonSet, a.cniConfig.pluginType]),
      [
        ['flannel', 'kube-flannel', 'kube-flannel-ds', 'flannel'],
        ['calico', 'kube-system', 'calico-node', 'calico'],
        ['cilium', 'kube-system', 'cilium', 'cilium-cni'],
      ],
    );
    for (const a of CNI_ADAPTERS) {
      assert.ok(a.agent.daemonSetNames.test(a.agent.daemonSet), a.id);
      assert.equal(a.repair.restart.name, a.agent.daemonSet, a.id);
      assert.equal(cniAdapter(a.id), a);
    }
    assert.deepEqual(flannel.datapath.bridge, 'cni0');
    assert.equal(calico.datapath.bridge, undefined);
    assert.equal(cilium.datapath.bridge, undefined);
  });

  it('say which CNI the offline rules, the bridge reset, the MTU repair and the status rules serve', () => {
    assert.deepEqual(OFFLINE_CHECKED, [flannel]);
    assert.equal(offlineCheckedAdapter(undefined), flannel);
    assert.equal(offlineCheckedAdapter(calico), undefined);
    assert.equal(BRIDGE_CNI, flannel);
    assert.equal(MTU_REPAIR_CNI, flannel);
    assert.deepEqual(reportingAdapters('bgp-sessions'), [calico]);
    assert.deepEqual(reportingAdapters('agent-health'), [cilium]);
    assert.equal(OWNED_CHAINS_LABEL, 'KUBE-/FLANNEL-');
  });

  it('read flannel’s subnet.env as the agent’s node state', () => {
    const s = flannel.nodeAgentState({
      name: 'n',
      flannelSubnetEnv: { network: '10.244.0.0/16', subnet: '10.244.1.1/24', mtu: 1450, ipmasq: true },
    });
    assert.deepEqual(s, {
      part: 'flannelSubnetEnv',
      network: '10.244.0.0/16',
      subnet: '10.244.1.1/24',
      mtu: 1450,
      ipMasq: true,
      keys: {
        network: 'FLANNEL_NETWORK',
        subnet: 'FLANNEL_SUBNET',
        mtu: 'FLANNEL_MTU',
        ipMasq: 'FLANNEL_IPMASQ',
      },
    });
    assert.equal(calico.nodeAgentState({ name: 'n' }), undefined);
  });
});
