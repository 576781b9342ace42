/**
 * Whole analyses of a flannel cluster whose kube-proxy runs in nftables mode: healthy gives no
 * root cause at all, and kube-proxy's faults there are named as in iptables mode.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze } from '../../src/analyze/engine.ts';
import type { Snapshot } from '../../src/core/model.ts';
import { addKubeProxyTable, toNftablesMode } from '../support/kube-proxy-nft-builder.ts';
import { SnapshotBuilder } from '../support/snapshot-builder.ts';

const NOW = new Date('2025-10-13T22:06:00Z');

function nftCluster(leftoverOn: string[] = []): Snapshot {
  const s = SnapshotBuilder.flannel({ workers: 3 }).build();
  s.cluster.configMaps.push({
    metadata: { name: 'kube-proxy', namespace: 'kube-system' },
    data: { 'config.conf': 'kind: KubeProxyConfiguration\nmode: "nftables"\n' },
  });
  for (const n of Object.keys(s.nodes)) (leftoverOn.includes(n) ? addKubeProxyTable : toNftablesMode)(s, n);
  return s;
}

describe('analysis of an nftables-mode cluster', () => {
  it('healthy: no root cause, verdict healthy', () => {
    const r = analyze(nftCluster(), { now: NOW });
    assert.deepEqual(r.rootCauses, []);
    assert.equal(r.verdict, 'healthy');
  });

  it('kube-dns missing from service-ips on worker-1 explains its failed DNS probes', () => {
    const s = nftCluster();
    const m = s.nodes['worker-1']!.nftRuleset!.maps!.find(
      (x) => x.family === 'ip' && x.name === 'service-ips',
    )!;
    m.elements = m.elements.filter((e) => e.key[0] !== '10.96.0.10');
    for (const p of s.probes?.results ?? [])
      if (p.from.node === 'worker-1' && p.scenario.startsWith('dns'))
        p.outcome = { status: 'fail', error: 'timeout' };
    const r = analyze(s, { now: NOW });
    assert.deepEqual(
      r.rootCauses.map((c) => `${c.category} ${c.subject.name}`),
      ['proxy.rules-missing worker-1'],
    );
    assert.ok((r.rootCauses[0]?.explains.length ?? 0) > 0);
    assert.equal(r.rootCauses[0]?.evidence[0]?.source, 'nodes/worker-1/nft-ruleset.json');
  });

  it('KUBE-SERVICES left on an nftables node is the stale-ruleset root cause', () => {
    const r = analyze(nftCluster(['worker-2']), { now: NOW });
    assert.deepEqual(
      r.rootCauses.map((c) => `${c.category} ${c.subject.name}`),
      ['proxy.stale-ruleset worker-2'],
    );
  });
});
