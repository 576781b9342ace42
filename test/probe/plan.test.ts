import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type ClusterState,
  emptyClusterState,
  type K8sNode,
  type K8sPod,
} from '../../src/core/cluster-types.ts';
import { PROBE_SCENARIOS } from '../../src/core/probe-types.ts';
import { EXPECTATIONS, expectationFor } from '../../src/probe/expectations.ts';
import { CLUSTER_DNS_NAME, planInput, planProbes } from '../../src/probe/plan.ts';
import { probeId } from '../../src/probe/resolve.ts';
import { NO_EXTERNAL_TARGET } from '../../src/probe/scenarios/external.ts';
import { SCENARIOS } from '../../src/probe/scenarios/index.ts';

function node(name: string, ip: string, ready = true): K8sNode {
  return {
    metadata: { name },
    spec: {},
    status: {
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
      addresses: [{ type: 'InternalIP', address: ip }],
    },
  };
}
function coredns(name: string, nodeName: string, ip: string): K8sPod {
  return {
    metadata: { name, namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } },
    spec: { nodeName, containers: [{ name: 'coredns' }] },
    status: { phase: 'Running', podIP: ip },
  };
}
function cluster(nodes = 3): ClusterState {
  const c = emptyClusterState();
  for (let i = 1; i <= nodes; i++) c.nodes.push(node(`n${i}`, `10.0.0.${i}`));
  c.pods.push(coredns('coredns-a', 'n1', '10.244.0.2'), coredns('coredns-b', 'n2', '10.244.1.2'));
  c.services.push({
    metadata: { name: 'kube-dns', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } },
    spec: { clusterIP: '10.96.0.10', ports: [{ port: 53 }] },
  });
  return c;
}
const svc = { name: 'netdoctor-probe-r1', namespace: 'netdoctor' };

describe('probe plan', () => {
  it('lists one scenario per id of the output format, each once', () => {
    assert.deepEqual([...SCENARIOS.map((s) => s.id)].sort(), [...PROBE_SCENARIOS].sort());
  });

  it('plans every scenario from every node of a 3-node cluster, ids unique and compatible', () => {
    const { input, gaps } = planInput(cluster(), { probeService: svc, externalName: 'www.outside.test' });
    assert.deepEqual(gaps, []);
    const plan = planProbes(input);
    assert.equal(plan.rounds, 1);
    assert.deepEqual(plan.peers.n1, ['n2', 'n3']);
    const ids = plan.probes.map((p) => probeId(p, p.variant === 'above' ? 1423 : 1422));
    assert.equal(new Set(ids).size, ids.length, 'ids are unique');
    for (const id of [
      'pod-to-pod-icmp/n1/n1',
      'pod-to-pod-icmp/n1/n2',
      'pod-to-pod-tcp/n3/n1',
      'dns-udp/n1/kube-dns',
      'dns-udp/n1/coredns-a',
      'dns-tcp/n2/coredns-b',
      'dns-udp/n1/kube-dns/www.outside.test',
      'dns-tcp/n3/coredns-a/www.outside.test',
      'service-clusterip/n2/netdoctor/netdoctor-probe-r1',
      'nodeport/n1/n3',
      'nodeport/n2/n2',
      'external/n1/http',
      'mtu/n1/n2/1422',
      'mtu/n1/n2/1423',
    ])
      assert.ok(ids.includes(id), `missing ${id}`);
    // Per node: 3 icmp + 3 tcp + 2x2x(1+2) dns + 1 service + 3 nodeport + 1 external + 2x2 mtu.
    assert.equal(plan.probes.filter((p) => p.from === 'n1').length, 3 + 3 + 12 + 1 + 3 + 1 + 4);
    const dns = plan.probes.filter((p) => p.scenario === 'dns-udp' && p.from === 'n1');
    assert.deepEqual([...new Set(dns.map((p) => p.name))], [CLUSTER_DNS_NAME, 'www.outside.test']);
  });

  it('skips external with the air-gapped reason when no target is configured', () => {
    const { input } = planInput(cluster(), { probeService: svc });
    const ext = planProbes(input).probes.filter((p) => p.scenario === 'external');
    assert.equal(ext.length, 3);
    for (const p of ext) assert.equal(p.skip, NO_EXTERNAL_TARGET);
    assert.equal(NO_EXTERNAL_TARGET, 'no external target configured (air-gapped clusters)');
  });

  it('plans the external target when configured', () => {
    const { input } = planInput(cluster(), { probeService: svc, externalTarget: 'http://203.0.113.80/' });
    const ext = planProbes(input).probes.find((p) => p.scenario === 'external');
    assert.equal(ext?.skip, undefined);
    assert.deepEqual(ext?.target, { kind: 'fixed', ip: '203.0.113.80' });
  });

  it('does not probe a CoreDNS replica that is being deleted (the old pod of a rollout)', () => {
    const c = cluster();
    const old = coredns('coredns-old', 'n3', '10.244.2.9');
    old.metadata.deletionTimestamp = '2026-11-22T16:00:00Z';
    c.pods.push(old);
    const { input } = planInput(c, { probeService: svc });
    assert.deepEqual(
      input.dnsPods.map((p) => p.name),
      ['coredns-a', 'coredns-b'],
    );
  });

  it('leaves NotReady nodes out with a gap', () => {
    const c = cluster();
    c.nodes.push(node('n4', '10.0.0.4', false));
    const { input, gaps } = planInput(c, { probeService: svc });
    assert.deepEqual(
      input.nodes.map((n) => n.name),
      ['n1', 'n2', 'n3'],
    );
    assert.equal(gaps[0]?.node, 'n4');
  });

  it('skips DNS with a reason when the cluster has no DNS', () => {
    const c = cluster();
    c.pods = [];
    c.services = [];
    const { input } = planInput(c, { probeService: svc });
    const dns = planProbes(input).probes.filter((p) => p.scenario === 'dns-tcp');
    assert.equal(dns.length, 3);
    assert.match(dns[0]?.skip ?? '', /no cluster DNS/);
  });

  it('MTU probes cross nodes only, at the overlay size and above', () => {
    const { input } = planInput(cluster(), { probeService: svc });
    const mtu = planProbes(input).probes.filter((p) => p.scenario === 'mtu');
    assert.equal(mtu.length, 3 * 2 * 2);
    assert.ok(mtu.every((p) => p.target.kind === 'server' && p.target.node !== p.from));
  });

  it('bounds the fan-out above 20 nodes', () => {
    const { input } = planInput(cluster(25), { probeService: svc, maxPeers: 4, round: 1 });
    const plan = planProbes(input);
    assert.equal(plan.rounds, 6);
    assert.equal(plan.round, 1);
    for (const peers of Object.values(plan.peers)) assert.equal(peers.length, 4);
    const icmp = plan.probes.filter((p) => p.scenario === 'pod-to-pod-icmp' && p.from === 'n1');
    assert.equal(icmp.length, 5, 'same node + 4 peers');
  });
});

describe('expectations', () => {
  it('default pass; MTU above the limit is expected to fail', () => {
    assert.equal(expectationFor({ scenario: 'pod-to-pod-icmp' }), 'pass');
    assert.equal(expectationFor({ scenario: 'mtu', variant: 'at' }), 'pass');
    assert.equal(expectationFor({ scenario: 'mtu', variant: 'above' }), 'fail');
  });
  it('is data: a table can say a pair is expected to fail', () => {
    const table = [
      ...EXPECTATIONS,
      { scenario: 'pod-to-pod-tcp' as const, sameNode: false, expect: 'fail' as const, why: 'policy' },
    ];
    assert.equal(expectationFor({ scenario: 'pod-to-pod-tcp', sameNode: false }, table), 'fail');
    assert.equal(expectationFor({ scenario: 'pod-to-pod-tcp', sameNode: true }, table), 'pass');
  });
});
