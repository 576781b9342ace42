import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runRule } from '../../src/analyze/engine.ts';
import { RULES } from '../../src/analyze/rules/index.ts';
import { proxyRulesMissing } from '../../src/analyze/rules/proxy-rules-missing.ts';
import { proxyStaleRuleset } from '../../src/analyze/rules/proxy-stale-ruleset.ts';
import type { Finding, Snapshot } from '../../src/core/model.ts';
import { addKubeProxyTable, toNftablesMode } from '../support/kube-proxy-nft-builder.ts';
import { SnapshotBuilder } from '../support/snapshot-builder.ts';

const NODES = ['control-plane', 'worker-1', 'worker-2', 'worker-3'];

function configure(s: Snapshot, mode: 'iptables' | 'nftables'): void {
  s.cluster.configMaps.push({
    metadata: { name: 'kube-proxy', namespace: 'kube-system' },
    data: {
      'config.conf': `apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: "${mode}"\n`,
    },
  });
}

function findings(rule: typeof proxyStaleRuleset, s: Snapshot): Finding[] {
  const { outcome, findings } = runRule(rule, s);
  assert.ok(outcome.status === 'pass' || outcome.status === 'fail', JSON.stringify(outcome));
  return findings;
}

/** Every node in nftables mode; `stale` nodes still hold their KUBE-SERVICES chains. */
function nftCluster(stale: string[] = []): Snapshot {
  const s = SnapshotBuilder.flannel({ workers: 3 }).build();
  configure(s, 'nftables');
  for (const n of NODES) (stale.includes(n) ? addKubeProxyTable : toNftablesMode)(s, n);
  return s;
}

describe('proxy-stale-ruleset', () => {
  it('is registered after proxy-rules-missing', () => {
    const ids = RULES.map((r) => r.id);
    assert.equal(ids.indexOf('proxy-stale-ruleset'), ids.indexOf('proxy-rules-missing') + 1);
  });

  it('a clean nftables cluster gives nothing', () => {
    assert.deepEqual(findings(proxyStaleRuleset, nftCluster()), []);
  });

  it('a clean iptables cluster gives nothing, and a node without the nft ruleset is skipped', () => {
    const s = SnapshotBuilder.flannel({ workers: 3 }).build();
    for (const n of NODES.slice(1)) s.nodes[n]!.nftRuleset = { tables: [], chains: [], rules: [] };
    assert.deepEqual(findings(proxyStaleRuleset, s), []);
  });

  it('an nftables node still holding KUBE-SERVICES is flagged; its live rules are still judged healthy', () => {
    const s = nftCluster(['worker-2']);
    const fs = findings(proxyStaleRuleset, s);
    assert.equal(fs.length, 1);
    const f = fs[0]!;
    assert.deepEqual(f.subject, { kind: 'Node', name: 'worker-2' });
    assert.equal(f.cause?.category, 'proxy.stale-ruleset');
    assert.deepEqual(f.cause?.remediation, ['restart-kube-proxy']);
    assert.match(f.summary, /runs kube-proxy in nftables mode but still holds iptables-mode Service rules/);
    assert.equal(f.evidence[0]?.source, 'nodes/worker-2/iptables-nft.txt');
    assert.match(f.evidence[0]?.observed ?? '', /KUBE-SERVICES .*Service jumps/);
    assert.equal(f.evidence[1]?.source, 'nodes/worker-2/nft-ruleset.json');
    assert.deepEqual(findings(proxyRulesMissing, s), []);
  });

  it('an iptables node still holding a programmed kube-proxy table is flagged the other way round', () => {
    const s = SnapshotBuilder.flannel({ workers: 3 }).build();
    configure(s, 'iptables');
    addKubeProxyTable(s, 'worker-3');
    for (const n of ['control-plane', 'worker-1', 'worker-2'])
      s.nodes[n]!.nftRuleset = { tables: [], chains: [], rules: [] };
    const fs = findings(proxyStaleRuleset, s);
    assert.deepEqual(
      fs.map((f) => [f.subject.name, f.evidence[0]?.source]),
      [['worker-3', 'nodes/worker-3/nft-ruleset.json']],
    );
    assert.match(fs[0]!.summary, /iptables mode but still holds nftables-mode/);
  });

  it('a frozen set translating to endpoints that are gone is a confirmed cause, with that as evidence', () => {
    const s = nftCluster(['worker-2']);
    assert.equal(findings(proxyStaleRuleset, s)[0]?.cause?.confidence, 0.75, 'its endpoints still exist');
    const nat = s.nodes['worker-2']!.iptablesNft!.tables['nat']!;
    const sep = nat.rules.find((r) => r.chain.startsWith('KUBE-SEP-') && r.target === 'DNAT');
    assert.ok(sep, 'the builder writes endpoint DNATs');
    sep.spec = sep.spec.replace(/--to-destination \S+/, '--to-destination 10.244.2.249:8080');
    const [f] = findings(proxyStaleRuleset, s);
    assert.equal(f?.cause?.confidence, 0.85);
    assert.match(
      f?.evidence.at(-1)?.observed ?? '',
      /translate to 10\.244\.2\.249, which no pod and no EndpointSlice has/,
    );
    // Without the EndpointSlices there is nothing to compare with: no claim either way.
    s.cluster.endpointSlices = [];
    s.gaps.push({ collector: 'cluster/endpointslices', reason: 'forbidden' });
    assert.equal(findings(proxyStaleRuleset, s)[0]?.cause?.confidence, 0.75);
  });

  it('an empty skeleton of the other mode is not a stale rule set', () => {
    const s = nftCluster();
    const nat = s.nodes['worker-1']!.iptablesNft!.tables['nat']!;
    nat.chains['KUBE-SERVICES'] = '-';
    assert.deepEqual(findings(proxyStaleRuleset, s), []);
  });
});
