import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { NodeDatapath } from '../../src/core/datapath-types.ts';
import { parseKpChainName } from '../../src/datapath/kube-proxy-nft.ts';
import { nodeProxyMode } from '../../src/datapath/node-proxy-mode.ts';
import { nodeServiceNat } from '../../src/datapath/node-service-nat.ts';
import { parseNftRuleset } from '../../src/datapath/parsers/nft-ruleset.ts';
import { natKey } from '../../src/datapath/service-nat-view.ts';
import { kubeProxyNftJson } from '../support/kube-proxy-nft-builder.ts';
import { SnapshotBuilder } from '../support/snapshot-builder.ts';
import { FIXTURES } from './fixture-snapshot.ts';

/** Recorded from nft 1.0.6 after loading a kube-proxy-shaped ruleset (see the fixture's README). */
const recorded = () =>
  parseNftRuleset(readFileSync(join(FIXTURES, 'kube-proxy-nft', 'nft-ruleset.json'), 'utf8'));

describe('nft -j sets, maps and statements', () => {
  it('keeps the service-ips verdict map with concatenated keys and goto values', () => {
    const rs = recorded();
    const m = rs.maps?.find((x) => x.family === 'ip' && x.name === 'service-ips');
    assert.ok(m);
    assert.deepEqual(m.keyType, ['ipv4_addr', 'inet_proto', 'inet_service']);
    assert.equal(m.valueType, 'verdict');
    const dns = m.elements.find((e) => e.key.join(' . ') === '10.96.0.10 . udp . 53');
    assert.deepEqual(dns?.value, {
      kind: 'verdict',
      verdict: { kind: 'goto', target: 'service-FY5PMXPG-kube-system/kube-dns/udp/dns' },
    });
  });

  it('unwraps commented elements and keeps plain sets', () => {
    const rs = recorded();
    const none = rs.maps?.find((x) => x.name === 'no-endpoint-services');
    assert.deepEqual(none?.elements, [
      {
        key: ['10.96.50.50', 'tcp', '80'],
        comment: 'default/empty',
        value: { kind: 'verdict', verdict: { kind: 'goto', target: 'reject-chain' } },
      },
    ]);
    const ips = rs.sets?.find((x) => x.name === 'cluster-ips');
    assert.deepEqual(
      ips?.elements.map((e) => e.key[0]),
      ['10.96.0.1', '10.96.0.10', '10.96.50.50', '10.96.100.10'],
    );
  });

  it('types the statements that move a packet on, and prints vmaps as nft does', () => {
    const rs = recorded();
    const svc = rs.rules.filter((r) => r.chain === 'service-FY5PMXPG-kube-system/kube-dns/udp/dns');
    const vmap = svc[1]!;
    assert.equal(
      vmap.text,
      'numgen random mod 2 vmap { 0 : goto endpoint-2GKX576Q-kube-system/kube-dns/udp/dns__10.244.0.2/53, 1 : goto endpoint-SHKW4FT7-kube-system/kube-dns/udp/dns__10.244.0.3/53 }',
    );
    assert.equal(vmap.statements?.[0]?.kind, 'vmap');
    const dispatch = rs.rules.find((r) => r.family === 'ip' && r.chain === 'services');
    assert.equal(dispatch?.text, 'ip daddr . meta l4proto . th dport vmap @service-ips');
    assert.deepEqual(dispatch?.statements, [
      { kind: 'vmap-ref', map: 'service-ips', key: 'ip daddr . meta l4proto . th dport' },
    ]);
    const dnat = rs.rules.find((r) => r.chain.startsWith('endpoint-KJBNWEXB') && r.text.includes('dnat'));
    assert.deepEqual(dnat?.statements, [{ kind: 'dnat', addr: '172.18.0.2', port: 6443 }]);
    assert.equal(dnat?.text, 'meta l4proto tcp dnat to 172.18.0.2:6443');
  });

  it('reads kube-proxy chain names', () => {
    assert.deepEqual(parseKpChainName('endpoint-2GKX576Q-kube-system/kube-dns/udp/dns__10.244.0.2/53'), {
      kind: 'endpoint',
      hash: '2GKX576Q',
      namespace: 'kube-system',
      name: 'kube-dns',
      protocol: 'udp',
      portName: 'dns',
      endpoint: '10.244.0.2/53',
    });
    assert.equal(parseKpChainName('service-HGFXFVES-default/web-frontend/tcp/')?.portName, '');
    assert.equal(parseKpChainName('nat-prerouting'), undefined);
  });
});

describe('Service NAT view of an nftables-mode node', () => {
  it('maps each ClusterIP:port/proto to its service chain and DNAT endpoints, with both hooks', () => {
    const { mode, view } = nodeServiceNat({ name: 'w', nftRuleset: recorded() }, undefined);
    assert.equal(mode.status === 'detected' && mode.mode, 'nftables');
    assert.ok(view);
    assert.equal(view.dispatch, true);
    assert.deepEqual(view.hooks, { prerouting: true, output: true });
    const dns = view.entries.get(natKey('10.96.0.10', 53, 'udp'));
    assert.equal(dns?.chain, 'service-FY5PMXPG-kube-system/kube-dns/udp/dns');
    assert.deepEqual(
      dns?.endpoints.map((e) => `${e.ip}:${e.port}`),
      ['10.244.0.2:53', '10.244.0.3:53'],
    );
    assert.equal(view.entries.size, 4);
    assert.equal(view.noEndpoints.get(natKey('10.96.50.50', 80, 'tcp'))?.verdict, 'goto reject-chain');
  });

  it('follows an external- chain to its service chain (NodePort / external IP entries)', () => {
    const rs = parseNftRuleset(
      JSON.stringify(
        kubeProxyNftJson(
          [
            {
              namespace: 'default',
              name: 'web',
              clusterIP: '10.96.100.10',
              ports: [{ port: 80, protocol: 'TCP', targetPort: 8080 }],
              endpoints: ['10.244.1.5'],
            },
          ],
          { nodePorts: { 'default/web': 30080 } },
        ),
      ),
    );
    const ext = rs.maps?.find((m) => m.name === 'service-nodeports')?.elements[0];
    assert.deepEqual(ext?.key, ['tcp', '30080']);
    const { view } = nodeServiceNat({ name: 'w', nftRuleset: rs }, undefined);
    assert.deepEqual(
      view?.entries.get(natKey('10.96.100.10', 80, 'tcp'))?.endpoints.map((e) => e.ip),
      ['10.244.1.5'],
    );
  });

  it('notices missing hooks and a missing dispatch', () => {
    const rs = recorded();
    rs.rules = rs.rules.filter((r) => !(r.family === 'ip' && r.chain === 'nat-output'));
    const { view } = nodeServiceNat({ name: 'w', nftRuleset: rs }, undefined);
    assert.deepEqual(view?.hooks, { prerouting: true, output: false });
    const rs2 = recorded();
    rs2.rules = rs2.rules.filter((r) => !(r.family === 'ip' && r.chain === 'services'));
    const v2 = nodeServiceNat({ name: 'w', nftRuleset: rs2 }, undefined).view;
    assert.equal(v2?.dispatch, false);
    assert.match(v2?.dispatchMissing ?? '', /does not look up @service-ips/);
  });
});

describe('node proxy mode', () => {
  const iptNode = (): NodeDatapath => SnapshotBuilder.flannel({ workers: 1 }).build().nodes['worker-1']!;

  it('an iptables node is iptables whatever the configuration says', () => {
    const m = nodeProxyMode(iptNode(), 'nftables');
    assert.equal(m.status === 'detected' && m.mode, 'iptables');
    assert.equal(m.status === 'detected' && m.leftover, undefined);
  });

  it('a node with only the kube-proxy table is nftables', () => {
    const m = nodeProxyMode({ name: 'w', nftRuleset: recorded() }, 'iptables');
    assert.equal(m.status === 'detected' && m.mode, 'nftables');
  });

  it('a node holding both programmed sets: the configuration names the live one, the other is a leftover', () => {
    const dp = { ...iptNode(), nftRuleset: recorded() };
    const nft = nodeProxyMode(dp, 'nftables');
    assert.ok(nft.status === 'detected');
    assert.equal(nft.mode, 'nftables');
    assert.equal(nft.basis, 'configured');
    assert.equal(nft.leftover?.mode, 'iptables');
    assert.equal(nft.leftover?.programmed, true);
    const ipt = nodeProxyMode(dp, 'iptables');
    assert.ok(ipt.status === 'detected');
    assert.equal(ipt.mode, 'iptables');
    assert.equal(ipt.leftover?.source, 'nftRuleset');
  });

  it('a programmed set beats an empty skeleton of the other mode', () => {
    const rs = recorded();
    for (const m of rs.maps ?? []) m.elements = [];
    const m = nodeProxyMode({ ...iptNode(), nftRuleset: rs }, 'nftables');
    assert.equal(m.status === 'detected' && m.mode, 'iptables');
    assert.equal(m.status === 'detected' && m.leftover?.programmed, false);
  });

  it('an empty skeleton of the other mode alone counts as nothing programmed', () => {
    const dp = iptNode();
    const nat = dp.iptablesNft!.tables['nat']!;
    nat.rules = nat.rules.filter((r) => r.chain !== 'KUBE-SERVICES');
    assert.deepEqual(nodeProxyMode(dp, 'nftables'), { status: 'none', expected: 'nftables' });
    assert.equal(nodeProxyMode(dp, 'iptables').status, 'detected');
  });

  it('a node with neither says what was expected', () => {
    assert.deepEqual(nodeProxyMode({ name: 'w' }, 'nftables'), { status: 'none', expected: 'nftables' });
  });
});
