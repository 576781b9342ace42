import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runRule } from '../../src/analyze/engine.ts';
import { proxyRulesMissing } from '../../src/analyze/rules/proxy-rules-missing.ts';
import type { Finding, Snapshot } from '../../src/core/model.ts';
import { toNftablesMode } from '../support/kube-proxy-nft-builder.ts';
import { SnapshotBuilder } from '../support/snapshot-builder.ts';

const NODES = ['control-plane', 'worker-1', 'worker-2', 'worker-3'];

function nftConfig(s: Snapshot): void {
  s.cluster.configMaps.push({
    metadata: { name: 'kube-proxy', namespace: 'kube-system' },
    data: {
      'config.conf':
        'apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: "nftables"\n',
    },
  });
}

/** A flannel cluster whose kube-proxy runs in nftables mode on `nftNodes` (default: all). */
function cluster(nftNodes: string[] = NODES, configure = true): Snapshot {
  const s = SnapshotBuilder.flannel({ workers: 3 }).build();
  if (configure) nftConfig(s);
  for (const n of nftNodes) toNftablesMode(s, n);
  return s;
}

function findings(s: Snapshot): Finding[] {
  const { outcome, findings } = runRule(proxyRulesMissing, s);
  assert.ok(outcome.status === 'pass' || outcome.status === 'fail', JSON.stringify(outcome));
  return findings;
}

function only(s: Snapshot, node: string): Finding {
  const fs = findings(s);
  assert.equal(fs.length, 1, fs.map((f) => f.summary).join('\n'));
  const f = fs[0]!;
  assert.deepEqual(f.subject, { kind: 'Node', name: node });
  assert.equal(f.cause?.category, 'proxy.rules-missing');
  // The node's own rule set; the last item may cite another node that dispatches what it lacks.
  const own = f.evidence.filter(
    (x) => !x.source.startsWith('probes/') && !/ judged dispatch/.test(x.observed),
  );
  for (const e of own) assert.equal(e.source, `nodes/${node}/nft-ruleset.json`);
  return f;
}

function text(f: Finding): string {
  return [f.summary, ...f.evidence.flatMap((e) => [e.observed, e.expected ?? ''])].join('\n');
}

describe('proxy-rules-missing in nftables mode', () => {
  it('the builder nodes really are nftables-mode nodes with every ready Service dispatched', () => {
    const dp = cluster().nodes['worker-1']!;
    assert.equal(dp.iptablesNft?.tables['nat']?.chains['KUBE-SERVICES'], undefined);
    const ips = dp.nftRuleset?.maps?.find((m) => m.family === 'ip' && m.name === 'service-ips');
    assert.ok((ips?.elements.length ?? 0) >= 4);
  });

  it('a healthy nftables cluster gives no finding', () => {
    assert.deepEqual(findings(cluster()), []);
  });

  it('a deleted kube-proxy table is found', () => {
    const s = cluster();
    const rs = s.nodes['worker-2']!.nftRuleset!;
    const keep = <T extends { table: string }>(xs: T[]): T[] => xs.filter((x) => x.table !== 'kube-proxy');
    rs.tables = rs.tables.filter((t) => t.name !== 'kube-proxy');
    rs.chains = keep(rs.chains);
    rs.rules = keep(rs.rules);
    rs.maps = keep(rs.maps ?? []);
    rs.sets = keep(rs.sets ?? []);
    const f = only(s, 'worker-2');
    assert.match(text(f), /no kube-proxy table/);
    assert.ok((f.cause?.confidence ?? 0) >= 0.9);
  });

  it('a Service missing from service-ips is named', () => {
    const s = cluster();
    const m = s.nodes['worker-1']!.nftRuleset!.maps!.find(
      (x) => x.family === 'ip' && x.name === 'service-ips',
    )!;
    m.elements = m.elements.filter((e) => e.key[0] !== '10.96.0.10');
    const f = only(s, 'worker-1');
    assert.match(text(f), /no service-ips element for kube-system\/kube-dns \(10\.96\.0\.10\)/);
    // One Service of several, while every other node dispatches it: this node's own fault.
    assert.equal(f.cause?.confidence, 0.85);
    const consensus = f.evidence.at(-1);
    assert.match(consensus?.source ?? '', /^nodes\/(control-plane|worker-[23])\/nft-ruleset\.json$/);
    assert.match(consensus?.observed ?? '', /^3 other nodes of 4 judged dispatch kube-system\/kube-dns$/);
  });

  it('a Service missing on every node is a partial match: the cluster view may lag, not one node', () => {
    const s = cluster();
    for (const dp of Object.values(s.nodes)) {
      const m = dp.nftRuleset?.maps?.find((x) => x.family === 'ip' && x.name === 'service-ips');
      if (m) m.elements = m.elements.filter((e) => e.key[0] !== '10.96.0.10');
    }
    const fs = findings(s);
    assert.ok(fs.length > 0);
    for (const f of fs) assert.equal(f.cause?.confidence, 0.7, f.summary);
  });

  /** Moves web-frontend from service-ips to no-endpoint-services with `verdict`. */
  function noEndpoints(
    s: Snapshot,
    node: string,
    verdict: { drop: null } | { goto: { target: string } },
  ): void {
    const maps = s.nodes[node]!.nftRuleset!.maps!;
    const ips = maps.find((x) => x.family === 'ip' && x.name === 'service-ips')!;
    ips.elements = ips.elements.filter((e) => e.key[0] !== '10.96.100.10');
    const none = maps.find((x) => x.family === 'ip' && x.name === 'no-endpoint-services')!;
    none.elements.push({
      key: ['10.96.100.10', 'tcp', '80'],
      comment: 'default/web-frontend',
      value: {
        kind: 'verdict',
        verdict: 'drop' in verdict ? { kind: 'drop' } : { kind: 'goto', target: verdict.goto.target },
      },
    });
  }

  it('a Service dropped for want of local endpoints (traffic policy Local) is not missing', () => {
    const s = cluster();
    noEndpoints(s, 'worker-1', { drop: null });
    assert.deepEqual(findings(s), []);
  });

  it('a Service with ready endpoints that kube-proxy rejects as endpoint-less is found, and said so', () => {
    const s = cluster();
    noEndpoints(s, 'worker-1', { goto: { target: 'reject-chain' } });
    const f = only(s, 'worker-1');
    assert.match(text(f), /default\/web-frontend \(10\.96\.100\.10, rejected as having no endpoints\)/);
  });

  it('a service chain left with no endpoint while the Service has ready endpoints is found', () => {
    const s = cluster();
    const rs = s.nodes['worker-3']!.nftRuleset!;
    const web = rs
      .maps!.find((x) => x.family === 'ip' && x.name === 'service-ips')!
      .elements.find((e) => e.key[0] === '10.96.100.10')!;
    assert.ok(web.value.kind === 'verdict' && web.value.verdict.kind === 'goto');
    const chain =
      web.value.kind === 'verdict' && web.value.verdict.kind === 'goto' ? web.value.verdict.target : '';
    // The chain flushed (as kube-proxy does to a stale chain) but the map still points at it.
    rs.rules = rs.rules.filter((r) => r.chain !== chain);
    const f = only(s, 'worker-3');
    assert.match(
      text(f),
      /default\/web-frontend 10\.96\.100\.10:80\/tcp -> service-[A-Z2-7]{8}-default\/web-frontend\/tcp\/: no endpoint chain/,
    );
  });

  it('nat-prerouting no longer jumping to services is found', () => {
    const s = cluster();
    const rs = s.nodes['worker-1']!.nftRuleset!;
    rs.rules = rs.rules.filter((r) => !(r.family === 'ip' && r.chain === 'nat-prerouting'));
    const f = only(s, 'worker-1');
    assert.match(f.summary, /nat-prerouting \(hook prerouting\) do not jump to services/);
  });

  it('a mixed cluster judges each node in its own mode', () => {
    // worker-1 and worker-2 moved to nftables; the cluster's config still says iptables.
    assert.deepEqual(findings(cluster(['worker-1', 'worker-2'], false)), [], 'healthy in both modes');
    // Snapshots are immutable to analysis (its indexes are cached), so the broken one is fresh.
    const s = cluster(['worker-1', 'worker-2'], false);
    // Break each node in its own mode: worker-3 (iptables) loses KUBE-SERVICES, worker-2 (nftables) its map entry.
    const nat = s.nodes['worker-3']!.iptablesNft!.tables['nat']!;
    nat.rules = nat.rules.filter((r) => r.chain !== 'KUBE-SERVICES');
    delete nat.chains['KUBE-SERVICES'];
    const m = s.nodes['worker-2']!.nftRuleset!.maps!.find(
      (x) => x.family === 'ip' && x.name === 'service-ips',
    )!;
    m.elements = m.elements.filter((e) => e.key[0] !== '10.96.100.10');
    const fs = findings(s);
    const byNode = new Map(fs.map((f) => [f.subject.name, f]));
    assert.deepEqual([...byNode.keys()].sort(), ['worker-2', 'worker-3']);
    assert.match(text(byNode.get('worker-3')!), /no KUBE-SERVICES chain in nat/);
    assert.equal(byNode.get('worker-3')!.evidence[0]?.source, 'nodes/worker-3/iptables-nft.txt');
    assert.match(text(byNode.get('worker-2')!), /no service-ips element for default\/web-frontend/);
    assert.equal(byNode.get('worker-2')!.evidence[0]?.source, 'nodes/worker-2/nft-ruleset.json');
  });

  it('an nftables-mode node whose nft ruleset was not collected is skipped, not flagged', () => {
    const s = cluster();
    const dp = s.nodes['worker-1']!;
    delete dp.nftRuleset;
    const { findings: fs, outcome } = runRule(proxyRulesMissing, s);
    assert.deepEqual(fs, []);
    assert.equal(outcome.status, 'pass');
  });
});
