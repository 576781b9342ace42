import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { analyze } from '../../src/analyze/engine.ts';
import type { PacketView } from '../../src/datapath/iptables-eval.ts';
import { matchText, nftNativeDrop } from '../../src/datapath/nft-eval.ts';
import { parseNftRuleset } from '../../src/datapath/parsers/nft-ruleset.ts';
import { SnapshotBuilder } from '../support/snapshot-builder.ts';
import { FIXTURES } from './fixture-snapshot.ts';

const NOW = new Date('2025-10-13T22:06:00Z');
/** A host firewall written with nft (see the fixture's README), as `nft -j list ruleset` gave it. */
const hostfw = () => parseNftRuleset(readFileSync(join(FIXTURES, 'nft-hostfw', 'nft-ruleset.json'), 'utf8'));

function pkt(over: Partial<PacketView> = {}): PacketView {
  return {
    src: '10.244.1.5',
    dst: '10.244.0.2',
    proto: 'tcp',
    dport: 53,
    inIface: 'flannel.1',
    outIface: 'cni0',
    ctstates: new Set(['NEW']),
    mark: 0,
    localAddrs: new Set(),
    ...over,
  };
}

describe('native nft rules', () => {
  it('a forward chain rule dropping one subnet to a port set', () => {
    const d = nftNativeDrop(hostfw(), 'FORWARD', pkt(), { iptablesNft: true });
    assert.deepEqual(d, {
      family: 'inet',
      table: 'hostfw',
      chain: 'forward',
      verdict: 'drop',
      rule: 'ip saddr 10.244.1.0/24 tcp dport { 53, 8080 } counter drop',
    });
  });

  it('replies are accepted by ct state; other sources, ports and protocols pass; OUTPUT has no such chain', () => {
    const rs = hostfw();
    const opts = { iptablesNft: true };
    assert.equal(nftNativeDrop(rs, 'FORWARD', pkt({ ctstates: new Set(['ESTABLISHED']) }), opts), undefined);
    assert.equal(nftNativeDrop(rs, 'FORWARD', pkt({ src: '10.244.3.5' }), opts), undefined);
    assert.equal(nftNativeDrop(rs, 'FORWARD', pkt({ dport: 443 }), opts), undefined);
    assert.equal(nftNativeDrop(rs, 'FORWARD', pkt({ proto: 'udp' }), opts), undefined);
    assert.equal(nftNativeDrop(rs, 'OUTPUT', pkt(), opts), undefined);
  });

  it('an interface wildcard and a reject', () => {
    const d = nftNativeDrop(
      hostfw(),
      'FORWARD',
      pkt({ src: '192.168.1.12', proto: 'udp', dport: 8472, inIface: 'eth0' }),
      {
        iptablesNft: true,
      },
    );
    assert.equal(d?.verdict, 'reject');
    assert.equal(
      matchText('iifname eth* udp dport 8472 reject', pkt({ proto: 'udp', dport: 8472, inIface: 'ens3' }))
        .match,
      false,
    );
  });

  it('an expression it does not model makes the rule uncertain, never a match', () => {
    assert.equal(matchText('ip saddr @blocklist drop', pkt()).match, undefined);
    assert.equal(matchText('ip saddr != 10.244.1.0/24 drop', pkt()).match, false);
  });

  it('a traced DNS probe dying at the nft rule: node.firewall-drops-traffic, no automatic repair', () => {
    const s = SnapshotBuilder.flannel()
      .edit((snap) => {
        const dp = snap.nodes['control-plane'];
        assert.ok(dp);
        dp.nftRuleset = hostfw();
        for (const r of snap.probes?.results ?? [])
          if (r.scenario === 'dns-tcp' && r.from.node === 'worker-1' && r.to.node === 'control-plane')
            r.outcome = { status: 'fail', error: 'timeout' };
      })
      .build();
    const r = analyze(s, { now: NOW });
    const rc = r.rootCauses[0];
    assert.equal(`${rc?.category} ${rc?.subject.name}`, 'node.firewall-drops-traffic control-plane');
    assert.match(
      rc?.summary ?? '',
      /nft inet hostfw forward drops 10\.244\.1\.250 -> 10\.244\.0\.2:53\/tcp: ip saddr 10\.244\.1\.0\/24/,
    );
    assert.deepEqual(rc?.remediation, []);
  });
});
