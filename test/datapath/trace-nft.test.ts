/**
 * The tracer's service-dnat hop on a node whose kube-proxy runs in nftables mode: the recorded
 * flannel cluster with worker-1 turned into an nftables-mode node (its KUBE-* chains gone, a
 * kube-proxy table holding the cluster's Services, in the recorded-shape builder's form).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nodeFile } from '../../src/collect/bundle/layout.ts';
import type { Snapshot } from '../../src/core/model.ts';
import { traceFlow } from '../../src/datapath/trace.ts';
import type { TraceHop, TraceResult } from '../../src/datapath/trace-types.ts';
import { toNftablesMode } from '../support/kube-proxy-nft-builder.ts';
import { fixtureSnapshot } from './fixture-snapshot.ts';

const stopped = (r: TraceResult): TraceHop => r.hops[r.stoppedAt!]!;
const DNS = { from: 'default/client-a', to: 'svc/kube-system/kube-dns', port: 53, protocol: 'udp' } as const;

function nftSnapshot(): Snapshot {
  const s = fixtureSnapshot();
  toNftablesMode(s, 'worker-1');
  return s;
}

function serviceIps(s: Snapshot) {
  return s.nodes['worker-1']!.nftRuleset!.maps!.find((m) => m.family === 'ip' && m.name === 'service-ips')!;
}

describe('traceFlow: Services on an nftables-mode node', () => {
  it('follows service-ips to the service chain and an endpoint chain to its DNAT', () => {
    const r = traceFlow(nftSnapshot(), DNS);
    assert.equal(r.status, 'delivered', r.reason);
    const dnat = r.hops.find((h) => h.kind === 'service-dnat');
    assert.ok(dnat?.kind === 'service-dnat');
    assert.match(dnat.chain ?? '', /^service-[A-Z2-7]{8}-kube-system\/kube-dns\/udp\/dns$/);
    assert.deepEqual(dnat.endpoints, ['10.244.2.2:53', '10.244.3.2:53']);
    assert.equal(dnat.evidence[0]?.source, nodeFile('worker-1', 'nftRuleset'));
    assert.match(
      dnat.evidence[0]?.observed ?? '',
      /^service-ips: 10\.96\.0\.10 \. udp \. 53 : goto service-/,
    );
    assert.match(dnat.evidence[1]?.observed ?? '', /dnat to 10\.244\.2\.2:53$/);
  });

  it('a Service missing from service-ips breaks at service-dnat as a missing rule', () => {
    const s = nftSnapshot();
    const m = serviceIps(s);
    m.elements = m.elements.filter((e) => !(e.key[0] === '10.96.0.10' && e.key[1] === 'udp'));
    const r = traceFlow(s, DNS);
    const hop = stopped(r);
    assert.ok(hop.kind === 'service-dnat');
    assert.equal(hop.problem, 'no-rule');
    assert.match(
      r.reason ?? '',
      /^worker-1 has no service-ips element for kube-system\/kube-dns \(10\.96\.0\.10:53\/udp\)/,
    );
  });

  it('a service chain with no endpoint chain breaks as no endpoints', () => {
    const s = nftSnapshot();
    const rs = s.nodes['worker-1']!.nftRuleset!;
    const el = serviceIps(s).elements.find((e) => e.key[0] === '10.96.0.10' && e.key[1] === 'udp')!;
    const chain =
      el.value.kind === 'verdict' && el.value.verdict.kind === 'goto' ? el.value.verdict.target : '';
    rs.rules = rs.rules.filter((r) => r.chain !== chain);
    const hop = stopped(traceFlow(s, DNS));
    assert.ok(hop.kind === 'service-dnat');
    assert.equal(hop.problem, 'no-endpoints');
    assert.equal(hop.chain, chain);
  });

  it('a node without its kube-proxy table breaks as no chain', () => {
    const s = nftSnapshot();
    const rs = s.nodes['worker-1']!.nftRuleset!;
    rs.tables = rs.tables.filter((t) => t.name !== 'kube-proxy');
    rs.chains = rs.chains.filter((c) => c.table !== 'kube-proxy');
    rs.rules = rs.rules.filter((c) => c.table !== 'kube-proxy');
    rs.maps = [];
    rs.sets = [];
    const hop = stopped(traceFlow(s, DNS));
    assert.ok(hop.kind === 'service-dnat');
    // No table and no KUBE-SERVICES either: the iptables path reports the missing chain.
    assert.equal(hop.problem, 'no-chain');
  });
});
